using System.Reflection;
using Chorus.Torch.Attribution;

namespace Chorus.Torch.Tests.Attribution;

/// <summary>The text that guards a run's maps changes with every option of every method the run uses.</summary>
public class AttributionSettingsTextTests
{
    private static readonly string[] AllMethods =
        [Saliency.CliName, InputXGradient.CliName, IntegratedGradients.CliName, GradientShap.CliName, GradCam.CliName, GradCamPlusPlus.CliName, Occlusion.CliName, NoiseTunnel.CliName];

    public static TheoryData<string, string> Options()
    {
        var data = new TheoryData<string, string>();
        foreach (var settingsProperty in typeof(AttributionSettings).GetProperties().Where(p => p.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal)))
        {
            foreach (var option in settingsProperty.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                data.Add(settingsProperty.Name, option.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void ChangingAnyOption_ChangesTheText(string methodOptions, string option)
    {
        // (A tolerance, so that the adaptive ladder's start matters too.)
        var settings = new AttributionSettings { IntegratedGradients = new IntegratedGradientsOptions { Tolerance = 0.05 } };
        var before = Text(settings);
        var property = typeof(AttributionSettings).GetProperty(methodOptions)!;
        var current = property.GetValue(settings)!;
        var copy = current.GetType().GetMethod("<Clone>$")!.Invoke(current, null)!;
        var p = copy.GetType().GetProperty(option)!;
        p.SetValue(copy, Other(p.PropertyType, p.GetValue(copy)));
        var changed = settings with { };
        property.SetValue(changed, copy);

        Assert.NotEqual(before, Text(changed));
    }

    [Fact]
    public void SmoothGradInner_And_TheDefaultStudyText_AreAsBefore()
    {
        Assert.NotEqual(Text(new AttributionSettings()), Text(new AttributionSettings { SmoothGradInner = IntegratedGradients.CliName }));
        var study = AttributionSettingsText.Describe(new AttributionSettings(), [Saliency.CliName, IntegratedGradients.CliName]);
        Assert.Equal(["saliency", "integrated_gradients", "gradient_shap", "grad_cam"], study.Select(p => p.Key));
        Assert.Equal("GradientShapOptions { References = , Samples = 5, Stdevs = 0, InternalBatchSize = 20 }", new GradientShapOptions { InternalBatchSize = 20 }.ToString());
        Assert.Equal("GradientShapOptions { References = [zeros, blurred(9)], Samples = 5, Stdevs = 0, InternalBatchSize =  }", new GradientShapOptions(GradientShapOptions.DefaultReferences).ToString());
    }

    private static string Text(AttributionSettings settings) =>
        string.Join("\n", AttributionSettingsText.Describe(settings, AllMethods).Select(p => $"{p.Key}={p.Value}"));

    private static object? Other(Type type, object? value)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t switch
        {
            _ when t == typeof(int) => value is int i ? i + 1 : 3,
            _ when t == typeof(double) => value is double d ? (d * 2) + 0.5 : 0.25,
            _ when t == typeof(bool) => !(bool)(value ?? false),
            _ when t == typeof(string) => "some-layer",
            _ when t.IsEnum => Enum.GetValues(t).Cast<object>().First(v => !v.Equals(value)),
            _ when t == typeof(Baseline) => Baseline.Constant(0.5),
            _ when t == typeof(IReadOnlyList<int>) => new[] { 3, 5 },
            _ when t == typeof(IReadOnlyList<Baseline>) => new[] { Baseline.Constant(0.25) },
            _ => throw new InvalidOperationException($"No other value for {type} in this test; add one."),
        };
    }
}
