using Chorus.Explanations;

namespace Chorus.Data.Regions;

/// <summary>How a <see cref="RegionOfInterest"/> was obtained.</summary>
[Flags]
public enum RoiSource
{
    None = 0,

    /// <summary>From an exact mask (part mask or segmentation).</summary>
    Mask = 1,

    /// <summary>From a keypoint, as a disc (see <see cref="RoiOptions.DiscRadiusFraction"/>).</summary>
    Keypoint = 2,

    /// <summary>From the bounding box (whole bird without segmentation).</summary>
    Box = 4,
}

/// <summary>
/// The expert region of one part on one image, at a requested output size (normally the model's input size):
/// <see cref="Mask"/> holds 1 inside and 0 outside, row-major H×W, aligned with the image resized to the same size.
/// </summary>
/// <param name="ImageId">The dataset's image id.</param>
/// <param name="Part">The <see cref="RoiPart.Name"/>.</param>
/// <param name="Mask">1/0 values at the output size.</param>
/// <param name="Source">Where the region came from (several flags when parts mix masks and keypoints).</param>
public sealed record RegionOfInterest(int ImageId, string Part, SaliencyMap Mask, RoiSource Source)
{
    public int Width => Mask.Width;

    public int Height => Mask.Height;

    /// <summary>Number of pixels inside.</summary>
    public int PixelCount => Mask.Values.Count(v => v != 0);

    /// <summary>Whether output pixel (<paramref name="x"/>, <paramref name="y"/>) is inside.</summary>
    public bool Contains(int x, int y) => x >= 0 && y >= 0 && x < Width && y < Height && Mask[y, x] != 0;
}

/// <summary>A named region made of one or more CUB parts (ids of <c>parts/parts.txt</c>), or the whole bird.</summary>
/// <param name="Name">Name used in reports and as key in <see cref="Loading.LoadedSplit.Regions"/>.</param>
/// <param name="PartIds">CUB part ids whose regions are united; invisible ones are skipped.</param>
/// <param name="WholeBird">The whole bird: segmentation when present, else the bounding box. <paramref name="PartIds"/> is then ignored.</param>
public sealed record RoiPart(string Name, IReadOnlyList<int> PartIds, bool WholeBird = false)
{
    /// <summary>The beak (part 2).</summary>
    public static RoiPart Beak { get; } = new("beak", [Cub.CubParts.Beak]);

    /// <summary>Both wings (parts 9 and 13), the visible ones united.</summary>
    public static RoiPart Wings { get; } = new("wings", [Cub.CubParts.LeftWing, Cub.CubParts.RightWing]);

    /// <summary>The whole bird.</summary>
    public static RoiPart Bird { get; } = new("bird", [], WholeBird: true);

    /// <summary>
    /// Parses <c>beak</c>, <c>wings</c>, <c>bird</c>, or any single CUB part name or slug (<c>left wing</c>, <c>left_wing</c>, <c>tail</c>…).
    /// </summary>
    public static RoiPart Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slug = Cub.CubParts.Slug(name);
        switch (slug)
        {
            case "beak":
                return Beak;
            case "wings":
                return Wings;
            case "bird":
                return Bird;
        }

        for (var i = 0; i < Cub.CubParts.Names.Count; i++)
        {
            if (Cub.CubParts.Slug(Cub.CubParts.Names[i]) == slug)
            {
                return new RoiPart(slug, [i + 1]);
            }
        }

        throw new ArgumentException($"Unknown part '{name}': use beak, wings, bird or a CUB part name ({string.Join(", ", Cub.CubParts.Names)}).", nameof(name));
    }

    public override string ToString() => Name;
}

/// <summary>The shape of a region built from a keypoint.</summary>
public enum RoiShape
{
    /// <summary>1 inside the disc of radius r around the keypoint, 0 outside.</summary>
    Disc,

    /// <summary>
    /// exp(−d² / 2r²) at distance d from the keypoint (σ = r), cut to 0 beyond 3r. Correlation metrics use the soft
    /// values; metrics that need a binary region (IoU, pointing game, relevance mass…) take values ≥ 0.5, a disc of
    /// radius r·√(2 ln 2) ≈ 1.18 r.
    /// </summary>
    Gaussian,
}

/// <summary>Options for building regions of interest.</summary>
/// <param name="DiscRadiusFraction">Radius r of a keypoint region (disc radius, or σ of the Gaussian) as a fraction of
/// max(box width, box height) (of the image size when there is no box). Default 0.1.</param>
/// <param name="UseMasks">Use part masks / segmentations when present. Default true; false forces keypoint regions and boxes.</param>
/// <param name="Shape">Shape of keypoint regions. Default <see cref="RoiShape.Disc"/>.</param>
public sealed record RoiOptions(double DiscRadiusFraction = 0.1, bool UseMasks = true, RoiShape Shape = RoiShape.Disc)
{
    public void Validate()
    {
        if (!(DiscRadiusFraction > 0 && DiscRadiusFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DiscRadiusFraction), DiscRadiusFraction, "DiscRadiusFraction must be in (0, 1].");
        }

        if (!Enum.IsDefined(Shape))
        {
            throw new ArgumentOutOfRangeException(nameof(Shape), Shape, "Shape must be Disc or Gaussian.");
        }
    }

    /// <summary>
    /// The value of a keypoint region at source point (<paramref name="x"/>, <paramref name="y"/>) for a keypoint at
    /// (<paramref name="cx"/>, <paramref name="cy"/>) with radius <paramref name="r"/>, in [0, 1].
    /// </summary>
    public float KeypointValue(double x, double y, double cx, double cy, double r)
    {
        var d2 = ((x - cx) * (x - cx)) + ((y - cy) * (y - cy));
        var r2 = r * r;
        return Shape switch
        {
            RoiShape.Gaussian => d2 > 9 * r2 ? 0f : (float)Math.Exp(-d2 / (2 * r2)),
            _ => d2 <= r2 ? 1f : 0f,
        };
    }
}
