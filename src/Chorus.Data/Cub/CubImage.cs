namespace Chorus.Data.Cub;

/// <summary>One image of a <see cref="CubDataset"/>.</summary>
/// <param name="Id">1-based id from <c>images.txt</c>.</param>
/// <param name="RelativePath">Path under <c>images/</c>, forward slashes, as in <c>images.txt</c>.</param>
/// <param name="FullPath">Absolute path of the image file.</param>
/// <param name="ClassIndex">0-based model label: position of the class among the (kept, see <see cref="CubLoadOptions.Classes"/>) classes ordered by id.</param>
/// <param name="ClassId">The class id from <c>image_class_labels.txt</c>.</param>
/// <param name="ClassName">The class name from <c>classes.txt</c> (e.g. <c>001.Black_footed_Albatross</c>).</param>
/// <param name="IsTrain">1 in <c>train_test_split.txt</c>.</param>
/// <param name="Box">The bird's box from <c>bounding_boxes.txt</c>, or null when that file is absent.</param>
/// <param name="Parts">Part id → keypoint from <c>parts/part_locs.txt</c> (empty when absent).</param>
public sealed record CubImage(
    int Id,
    string RelativePath,
    string FullPath,
    int ClassIndex,
    int ClassId,
    string ClassName,
    bool IsTrain,
    BoundingBox? Box,
    IReadOnlyDictionary<int, PartLocation> Parts)
{
    /// <summary>The keypoint of part <paramref name="partId"/> when it is listed and visible.</summary>
    public PartLocation? VisiblePart(int partId) => Parts.TryGetValue(partId, out var p) && p.Visible ? p : null;
}
