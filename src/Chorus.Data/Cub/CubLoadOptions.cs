namespace Chorus.Data.Cub;

/// <summary>Options of <see cref="CubDataset.Load"/>.</summary>
/// <param name="CheckFiles">Check that every image listed in <c>images.txt</c> exists (one <c>File.Exists</c> each). Default true.</param>
/// <param name="RequireBoundingBoxes">Fail when <c>bounding_boxes.txt</c> is missing. Default false (boxes are then null).</param>
/// <param name="Classes">Keep only the images of these class ids (1-based, as in <c>classes.txt</c>; see
/// <see cref="ClassSelection.Parse"/>). The kept classes are renumbered densely: <see cref="CubClass.Index"/> and
/// <see cref="CubImage.ClassIndex"/> run 0..k-1 in class-id order, while <see cref="CubClass.Id"/>, names and image ids keep
/// their values. An id missing from <c>classes.txt</c> is a problem. Default null: every class.</param>
/// <param name="CheckImages">Also decode every (kept) image in parallel and check it against the text files: corrupt or
/// truncated data (problem on its <c>images.txt</c> line), bounding boxes and visible keypoints outside the image (on their
/// <c>bounding_boxes.txt</c> / <c>parts/part_locs.txt</c> line; 1 pixel of tolerance), and segmentations / part masks whose
/// size differs from the image. Slow on the full dataset (every JPEG is decoded); default false.</param>
public sealed record CubLoadOptions(bool CheckFiles = true, bool RequireBoundingBoxes = false, IReadOnlySet<int>? Classes = null, bool CheckImages = false);
