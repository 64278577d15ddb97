namespace Chorus.Data.Transforms;

/// <summary>
/// A 2-D affine map <c>(x, y) ↦ (A·x + B·y + C, D·x + E·y + F)</c> in continuous pixel coordinates, where pixel
/// (i, j) covers [i, i+1) × [j, j+1) and its centre is (i + 0.5, j + 0.5).
/// </summary>
public readonly record struct Affine2D(double A, double B, double C, double D, double E, double F)
{
    /// <summary>The identity map.</summary>
    public static Affine2D Identity { get; } = new(1, 0, 0, 0, 1, 0);

    /// <summary>Whether the map keeps axes (no rotation or shear), so x' depends on x only and y' on y only.</summary>
    public bool IsAxisAligned => B == 0 && D == 0;

    /// <summary>The determinant <c>A·E − B·D</c>; negative for a mirror image.</summary>
    public double Determinant => (A * E) - (B * D);

    /// <summary>Maps a point.</summary>
    public (double X, double Y) Apply(double x, double y) => ((A * x) + (B * y) + C, (D * x) + (E * y) + F);

    /// <summary>The map that applies <paramref name="first"/> and then <paramref name="second"/>.</summary>
    public static Affine2D Compose(Affine2D first, Affine2D second) => new(
        (second.A * first.A) + (second.B * first.D),
        (second.A * first.B) + (second.B * first.E),
        (second.A * first.C) + (second.B * first.F) + second.C,
        (second.D * first.A) + (second.E * first.D),
        (second.D * first.B) + (second.E * first.E),
        (second.D * first.C) + (second.E * first.F) + second.F);

    /// <summary>The inverse map.</summary>
    /// <exception cref="InvalidOperationException">The map is singular.</exception>
    public Affine2D Invert()
    {
        var det = Determinant;
        if (det == 0 || !double.IsFinite(det))
        {
            throw new InvalidOperationException("The affine map is singular and has no inverse.");
        }

        if (IsAxisAligned)
        {
            // Exact for pure scales and shifts (keeps resize sampling bit-identical to ImageResize).
            return new Affine2D(1 / A, 0, -C / A, 0, 1 / E, -F / E);
        }

        return new Affine2D(E / det, -B / det, ((B * F) - (C * E)) / det, -D / det, A / det, ((C * D) - (A * F)) / det);
    }
}
