using Chorus.Evaluation;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>The evaluation of one method on one part.</summary>
public sealed record StudyCell(string Part, string Method, EvaluationResult Result);

/// <summary>What a study run produced: one cell per method × part, the members, and the metric names in order.</summary>
public sealed record StudyOutcome(IReadOnlyList<StudyCell> Cells, IReadOnlyList<MemberResult> Members, IReadOnlyList<string> Metrics)
{
    /// <summary>The held-out split's majority-class baseline the members were judged against, when known.</summary>
    public ClassBaseline? Baseline { get; init; }
}
