namespace Chorus.Data.Cub;

/// <summary>Options of <see cref="CubDataset.Load"/>.</summary>
/// <param name="CheckFiles">Check that every image listed in <c>images.txt</c> exists (one <c>File.Exists</c> each). Default true.</param>
/// <param name="RequireBoundingBoxes">Fail when <c>bounding_boxes.txt</c> is missing. Default false (boxes are then null).</param>
public sealed record CubLoadOptions(bool CheckFiles = true, bool RequireBoundingBoxes = false);
