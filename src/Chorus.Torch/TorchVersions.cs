namespace Chorus.Torch;

/// <summary>The native libtorch under TorchSharp, as manifests and <c>chorus doctor</c> report it (TorchSharp exposes no query).</summary>
public static class TorchVersions
{
    /// <summary>libtorch's version and the TorchSharp package that brings it.</summary>
    public const string Libtorch = "2.10.0 (TorchSharp-cpu 0.107.0)";
}
