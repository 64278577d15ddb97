using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Attribution;

/// <summary>How a layer map is brought to the input's H×W (Captum <c>LayerAttribution.interpolate</c>).</summary>
public enum CamUpsample
{
    /// <summary>Keep the layer's resolution [N,1,h,w] (Captum's LayerGradCam output).</summary>
    None,

    /// <summary><c>F.interpolate(mode="nearest")</c> to H×W.</summary>
    Nearest,

    /// <summary><c>F.interpolate(mode="bilinear", align_corners=False)</c> to H×W.</summary>
    Bilinear,
}

/// <summary>Options of <see cref="GradCam"/>, with Captum's <c>LayerGradCam</c> defaults.</summary>
/// <param name="Layer">Layer whose activation is used; null: the model's <see cref="IClassifier.DefaultCamLayer"/>.</param>
/// <param name="Relu">Apply ReLU to the map (Captum <c>relu_attributions</c>). Default: false.</param>
/// <param name="Upsample">Upsampling to the input size. Default: none (layer resolution).</param>
public sealed record GradCamOptions(string? Layer = null, bool Relu = false, CamUpsample Upsample = CamUpsample.None)
{
    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Layer is { Length: 0 })
        {
            throw new ArgumentException("The layer name must not be empty.", nameof(Layer));
        }

        if (!Enum.IsDefined(Upsample))
        {
            throw new ArgumentOutOfRangeException(nameof(Upsample));
        }
    }
}

/// <summary>
/// Grad-CAM (Selvaraju et al., https://arxiv.org/abs/1610.02391), as Captum's <c>LayerGradCam</c>: with A the
/// layer activation [N,K,h,w] and G = ∂f_t/∂A, w_k = mean_{i,j} G_k, map = Σ_k w_k A_k kept as [N,1,h,w];
/// optional ReLU, then optional upsampling to [N,1,H,W]. Gradients come from the model's named intermediate
/// (<see cref="IClassifier.Forward(Tensor, string, out Tensor)"/>), without hooks.
/// </summary>
public sealed class GradCam : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "grad-cam";

    /// <summary>Creates the method.</summary>
    /// <param name="options">Options; default <see cref="GradCamOptions"/>() (default layer, no ReLU, no upsampling).</param>
    public GradCam(GradCamOptions? options = null)
    {
        Options = options ?? new GradCamOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public GradCamOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target) =>
        CamMaps.Attribute(model, input, target, Options.Layer, CamMaps.GradCam, Options.Relu, Options.Upsample);
}

/// <summary>Options of <see cref="GradCamPlusPlus"/>.</summary>
/// <param name="Layer">Layer whose activation is used; null: the model's <see cref="IClassifier.DefaultCamLayer"/>.</param>
/// <param name="Relu">Apply ReLU to the map. Default: true (pytorch-grad-cam always does).</param>
/// <param name="Upsample">Upsampling to the input size. Default: none (layer resolution).</param>
public sealed record GradCamPlusPlusOptions(string? Layer = null, bool Relu = true, CamUpsample Upsample = CamUpsample.None)
{
    /// <summary>Throws if a value is out of range.</summary>
    public void Validate() => new GradCamOptions(Layer, Relu, Upsample).Validate();
}

/// <summary>
/// Grad-CAM++ (Chattopadhyay et al., https://arxiv.org/abs/1710.11063) with the weights of pytorch-grad-cam's
/// <c>GradCAMPlusPlus.get_cam_weights</c>: α = G² / (2G² + (Σ_{ij} A_k) G³ + 1e-6), zero where G = 0;
/// w_k = Σ_{ij} relu(G) α; map = Σ_k w_k A_k, then ReLU (no min-max normalisation). [N,1,h,w] or upsampled [N,1,H,W].
/// </summary>
public sealed class GradCamPlusPlus : IAttributionMethod
{
    /// <summary>The CLI name.</summary>
    public const string CliName = "grad-cam-plus-plus";

    /// <summary>Creates the method.</summary>
    /// <param name="options">Options; default <see cref="GradCamPlusPlusOptions"/>() (default layer, ReLU, no upsampling).</param>
    public GradCamPlusPlus(GradCamPlusPlusOptions? options = null)
    {
        Options = options ?? new GradCamPlusPlusOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public GradCamPlusPlusOptions Options { get; }

    /// <inheritdoc/>
    public string Name => CliName;

    /// <inheritdoc/>
    public Tensor Attribute(IClassifier model, Tensor input, Tensor target) =>
        CamMaps.Attribute(model, input, target, Options.Layer, CamMaps.GradCamPlusPlus, Options.Relu, Options.Upsample);
}

/// <summary>Class-activation-map arithmetic shared by Grad-CAM, Grad-CAM++ and the fused pass.</summary>
public static class CamMaps
{
    /// <summary>
    /// The template both CAM methods share (pytorch-grad-cam's <c>BaseCAM</c>): check the arguments, take the
    /// layer activation and its gradient in one pass, combine them with <paramref name="camMap"/>, then ReLU and
    /// upsample as asked. Returns [N,1,h,w], or [N,1,H,W] when upsampled.
    /// </summary>
    internal static Tensor Attribute(IClassifier model, Tensor input, Tensor target, string? layer, Func<Tensor, Tensor, Tensor> camMap, bool relu, CamUpsample upsample)
    {
        AttributionGuard.CheckInputs(model, input, target);
        layer ??= model.DefaultCamLayer;
        AttributionGuard.CheckLayer(model, layer);
        using var scope = NewDisposeScope();
        var (_, act, grad) = Gradients.InputAndLayerGradients(model, input, target, layer, needInputGradient: false);
        return Finish(camMap(act, grad), relu, upsample, input).MoveToOuterDisposeScope();
    }

    /// <summary>Captum LayerGradCam: Σ_k mean_{spatial}(G_k) A_k, keepdim → [N,1,…].</summary>
    public static Tensor GradCam(Tensor activation, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(gradient);
        var weights = gradient.dim() > 2
            ? gradient.mean(Enumerable.Range(2, (int)gradient.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)
            : gradient;
        return (weights * activation).sum(1, keepdim: true);
    }

    /// <summary>pytorch-grad-cam GradCAMPlusPlus weights applied to a [N,K,h,w] activation → [N,1,h,w] (no ReLU here).</summary>
    public static Tensor GradCamPlusPlus(Tensor activation, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(gradient);
        if (activation.dim() != 4)
        {
            throw new ArgumentException("Grad-CAM++ needs a [N,K,h,w] layer activation.", nameof(activation));
        }

        var g2 = gradient.square();
        var g3 = g2 * gradient;
        var sumAct = activation.sum([2, 3], keepdim: true);
        var aij = g2 / ((2 * g2) + (sumAct * g3) + 1e-6);
        aij = aij.masked_fill(gradient.eq(0), 0);
        var weights = (gradient.relu() * aij).sum([2, 3], keepdim: true);
        return (weights * activation).sum(1, keepdim: true);
    }

    /// <summary>
    /// Captum <c>LayerAttribution.interpolate</c>: <c>F.interpolate(map, size, mode)</c>, bilinear with
    /// align_corners=False. <paramref name="map"/> is [N,1,h,w].
    /// </summary>
    public static Tensor Interpolate(Tensor map, long height, long width, CamUpsample mode)
    {
        ArgumentNullException.ThrowIfNull(map);
        return mode switch
        {
            CamUpsample.None => map.alias(),
            CamUpsample.Nearest => nn.functional.interpolate(map, [height, width], mode: InterpolationMode.Nearest),
            CamUpsample.Bilinear => nn.functional.interpolate(map, [height, width], mode: InterpolationMode.Bilinear, align_corners: false),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    internal static Tensor Finish(Tensor map, bool relu, CamUpsample upsample, Tensor input)
    {
        var m = relu ? map.relu() : map;
        if (upsample != CamUpsample.None && m.dim() != 4)
        {
            throw new ArgumentException("Upsampling needs a spatial [N,K,h,w] layer.", "layer");
        }

        return upsample == CamUpsample.None ? m : Interpolate(m, input.shape[2], input.shape[3], upsample);
    }
}
