namespace Chorus.Data.Cub;

/// <summary>A bounding box in pixels: <c>X, Y</c> top-left corner, as in CUB's <c>bounding_boxes.txt</c>.</summary>
public readonly record struct BoundingBox(float X, float Y, float Width, float Height);

/// <summary>
/// One keypoint of <c>parts/part_locs.txt</c> in pixels. CUB writes invisible parts as <c>0 0 0</c>.
/// SynthBirds writes pixel-edge coordinates: pixel (i, j) covers [i, i+1) × [j, j+1), so its centre is (i+0.5, j+0.5).
/// </summary>
public readonly record struct PartLocation(float X, float Y, bool Visible);

/// <summary>One entry of <c>parts/parts.txt</c>. <paramref name="Slug"/> is the folder name under <c>part_masks/</c> (e.g. <c>left_wing</c>).</summary>
public sealed record CubPart(int Id, string Name, string Slug);

/// <summary>One class of <c>classes.txt</c>. <paramref name="Index"/> is the 0-based model label (classes ordered by id).</summary>
public sealed record CubClass(int Index, int Id, string Name);

/// <summary>Which images of a dataset.</summary>
public enum CubSplit
{
    Train,
    Test,
    All,
}

/// <summary>The 15 parts of CUB-200-2011, in <c>parts/parts.txt</c> order (ids 1..15).</summary>
public static class CubParts
{
    public const int Back = 1;
    public const int Beak = 2;
    public const int Belly = 3;
    public const int Breast = 4;
    public const int Crown = 5;
    public const int Forehead = 6;
    public const int LeftEye = 7;
    public const int LeftLeg = 8;
    public const int LeftWing = 9;
    public const int Nape = 10;
    public const int RightEye = 11;
    public const int RightLeg = 12;
    public const int RightWing = 13;
    public const int Tail = 14;
    public const int Throat = 15;

    /// <summary>Names exactly as in CUB's <c>parts/parts.txt</c>, index = id - 1.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "back", "beak", "belly", "breast", "crown", "forehead", "left eye", "left leg", "left wing", "nape",
        "right eye", "right leg", "right wing", "tail", "throat",
    ];

    /// <summary>The folder name of a part name: lower case, spaces as underscores (<c>left wing</c> → <c>left_wing</c>).</summary>
    public static string Slug(string name) => string.Join('_', name.Trim().ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
