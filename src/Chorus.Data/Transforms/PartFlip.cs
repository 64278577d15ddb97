using Chorus.Data.Cub;

namespace Chorus.Data.Transforms;

/// <summary>
/// The left/right part swap that goes with a horizontal flip: the bird's left wing appears where its right wing
/// was, so after a flip "left wing" must be read as "right wing". CUB pairs: left/right eye (7↔11), leg (8↔12),
/// wing (9↔13). Every other part (and the union regions <c>wings</c>, <c>beak</c>, <c>bird</c>) is unchanged.
/// </summary>
public static class PartFlip
{
    private static readonly Dictionary<int, int> IdSwap = new()
    {
        [CubParts.LeftEye] = CubParts.RightEye,
        [CubParts.RightEye] = CubParts.LeftEye,
        [CubParts.LeftLeg] = CubParts.RightLeg,
        [CubParts.RightLeg] = CubParts.LeftLeg,
        [CubParts.LeftWing] = CubParts.RightWing,
        [CubParts.RightWing] = CubParts.LeftWing,
    };

    /// <summary>The CUB part id seen at a part's place after a horizontal flip (7↔11, 8↔12, 9↔13; others unchanged).</summary>
    public static int SwapId(int partId) => IdSwap.TryGetValue(partId, out var other) ? other : partId;

    /// <summary>
    /// The part name after a horizontal flip: a leading <c>left</c>/<c>right</c> word is swapped, keeping the
    /// separator and case style (<c>left wing</c> → <c>right wing</c>, <c>left_eye</c> → <c>right_eye</c>,
    /// <c>Right leg</c> → <c>Left leg</c>); other names are returned as they are.
    /// </summary>
    public static string SwapName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (from, to) in new[] { ("left", "right"), ("right", "left") })
        {
            if (name.Length > from.Length && name.StartsWith(from, StringComparison.OrdinalIgnoreCase) && name[from.Length] is ' ' or '_' or '-')
            {
                var replacement = char.IsUpper(name[0]) ? char.ToUpperInvariant(to[0]) + to[1..] : to;
                return replacement + name[from.Length..];
            }
        }

        return name;
    }
}
