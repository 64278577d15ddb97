using System.Diagnostics;
using System.Text.Json.Nodes;
using Chorus.Cli.Kubernetes;

namespace Chorus.Cli.Tests;

/// <summary>
/// <c>chorus k8s manifest</c>: the Jobs' numbers, the pods' scripts run by a real <c>/bin/sh</c> against a stand-in
/// <c>chorus</c> that records its arguments, and the YAML read back by a YAML parser (PyYAML). No cluster is involved.
/// </summary>
[Collection("Cli")]
public class K8sManifestCommandTests
{
    // 11 members, 3 per pod: 4 pods, the last one with two members.
    private static readonly string[] ElevenByThree = ["k8s", "manifest", "--members", "11", "--members-per-task", "3", "--cpus", "4", "--memory", "6Gi", "--pvc", "study-pvc", "--out", "/data/runs/birds", "--image", "registry.example.org/chorus:0.12.0"];

    [Fact]
    public void Ranges_CoverEveryMemberOnce_LastRangeShorter()
    {
        var study = new KubernetesStudy { Members = 11, MembersPerTask = 3 };
        Assert.Equal(4, study.Tasks);
        Assert.Equal([(0, 2), (3, 5), (6, 8), (9, 10)], Enumerable.Range(0, study.Tasks).Select(study.Range));
        Assert.Equal(5, new KubernetesStudy { Members = 5, MembersPerTask = 1 }.Tasks);
        Assert.Equal((4, 4), new KubernetesStudy { Members = 5, MembersPerTask = 2 }.Range(2));
        Assert.Equal(1, new KubernetesStudy { Members = 5, MembersPerTask = 5 }.Tasks);
    }

    [Fact]
    public async Task Manifest_HasTheJobsNumbersResourcesVolumeAndCommands()
    {
        var (code, yaml) = await CliRunner.RunAsync([.. ElevenByThree, "--parallelism", "2", "--preset", "paper", "--methods", "saliency,grad-cam"]);
        Assert.True(code == 0, yaml);

        Assert.Contains("\n  name: \"chorus-members\"\n", yaml);
        Assert.Contains("\n  name: \"chorus-merge\"\n", yaml);
        Assert.Contains("\n  completionMode: Indexed\n  completions: 4\n  parallelism: 2\n", yaml);
        Assert.Contains("\n  suspend: true", yaml);
        Assert.Contains("            requests:\n              cpu: \"4\"\n              memory: \"6Gi\"\n            limits:\n              cpu: \"4\"\n              memory: \"6Gi\"\n", yaml);
        Assert.Contains("          volumeMounts:\n            - name: data\n              mountPath: \"/data\"\n", yaml);
        Assert.Contains("          persistentVolumeClaim:\n            claimName: \"study-pvc\"\n", yaml);
        Assert.Contains("          image: \"registry.example.org/chorus:0.12.0\"\n", yaml);
        Assert.Contains("      restartPolicy: Never", yaml);
        Assert.Contains("          values: [2]\n", yaml);

        // The header lists every pod's exact command line, and the merge.
        // The study's options in demo's declaration order (as chorus slurm submit writes them), then the pod's own.
        var demo = "chorus demo --preset paper --methods saliency,grad-cam --seed 0 --members 11 --members-range";
        Assert.Contains($"#   pod 0: {demo} 0-2 --out /data/runs/birds --threads 4\n", yaml);
        Assert.Contains($"#   pod 1: {demo} 3-5 --out /data/runs/birds --threads 4\n", yaml);
        Assert.Contains($"#   pod 2: {demo} 6-8 --out /data/runs/birds --threads 4\n", yaml);
        Assert.Contains($"#   pod 3: {demo} 9-10 --out /data/runs/birds --threads 4\n", yaml);
        Assert.DoesNotContain("#   pod 4:", yaml);
        Assert.Contains("#   chorus evaluate --run /data/runs/birds\n#   chorus report --run /data/runs/birds\n", yaml);
        Assert.Contains("kubectl patch job/chorus-merge --type=merge -p '{\"spec\":{\"suspend\":false}}'", yaml);
    }

    [Fact]
    public void MemberScript_RunByShell_GivesEachPodItsRange_AndQuotesArguments()
    {
        // Given a study whose arguments need quoting, and a stand-in chorus that prints its arguments one per line
        var study = new KubernetesStudy { Members = 11, MembersPerTask = 3, Cpus = 4, Out = "/data/my run", StudyArgs = ["--preset", "paper", "--data", "/data/it's here", "--methods", "saliency,grad-cam"] };
        var bin = FakeChorus("for a in \"$@\"; do printf '%s\\n' \"$a\"; done");

        for (var index = 0; index < study.Tasks; index++)
        {
            // When the pods' script runs with Kubernetes' index
            var output = RunShell(KubernetesManifest.MemberScript(study), bin, ("JOB_COMPLETION_INDEX", index.ToString(System.Globalization.CultureInfo.InvariantCulture)));

            // Then the first line says the range and chorus gets exactly the arguments of MemberCommand
            var lines = output.TrimEnd('\n').Split('\n');
            var (first, last) = study.Range(index);
            Assert.Equal($"chorus: pod {index} of 4 runs members {first}-{last} of 0-10", lines[0]);
            Assert.Equal(KubernetesManifest.MemberCommand(study, index).Skip(1), lines.Skip(1));
        }

        Assert.Equal(["chorus", "demo", "--preset", "paper", "--data", "/data/it's here", "--methods", "saliency,grad-cam", "--members", "11", "--members-range", "9-10", "--out", "/data/my run", "--threads", "4"], KubernetesManifest.MemberCommand(study, 3));

        // Without the index (not in an Indexed Job's pod) the script stops and says why.
        var missing = Assert.Throws<InvalidOperationException>(() => RunShell(KubernetesManifest.MemberScript(study), bin));
        Assert.Contains("JOB_COMPLETION_INDEX", missing.Message);
    }

    [Fact]
    public void MergeScript_RunByShell_EvaluatesThenReports()
    {
        var study = new KubernetesStudy { Out = "/data/run 1" };
        var bin = FakeChorus("echo \"$*\"");
        Assert.Equal("evaluate --run /data/run 1\nreport --run /data/run 1\n", RunShell(KubernetesManifest.MergeScript(study), bin));
    }

    [PythonYamlFact]
    public async Task Manifest_ParsesAsYaml_IntoTwoBatchJobs()
    {
        if (PythonYaml.Unavailable is { } reason)
        {
            PythonYaml.Report(reason);
            return;
        }

        // Given a manifest with arguments that need quoting in the shell and in YAML
        var (code, yaml) = await CliRunner.RunAsync([.. ElevenByThree, "--name", "birds-1", "--quick", "--data", "/data/a \"b\" it's: #c"]);
        Assert.True(code == 0, yaml);

        // When a YAML parser reads it
        var docs = PythonYaml.Parse(yaml).AsArray();

        // Then: two Jobs, with the numbers, the scripts and the volume as written
        Assert.Equal(2, docs.Count);
        var members = docs[0]!;
        Assert.Equal("batch/v1", (string?)members["apiVersion"]);
        Assert.Equal("Job", (string?)members["kind"]);
        Assert.Equal("birds-1-members", (string?)members["metadata"]!["name"]);
        var spec = members["spec"]!;
        Assert.Equal("Indexed", (string?)spec["completionMode"]);
        Assert.Equal(4, (int)spec["completions"]!);
        Assert.Equal(4, (int)spec["parallelism"]!);
        Assert.Equal(4, (int)spec["backoffLimit"]!);
        Assert.Equal("FailJob", (string?)spec["podFailurePolicy"]!["rules"]![0]!["action"]);
        Assert.Equal(2, (int)spec["podFailurePolicy"]!["rules"]![0]!["onExitCodes"]!["values"]![0]!);
        var pod = spec["template"]!["spec"]!;
        Assert.Equal("Never", (string?)pod["restartPolicy"]);
        Assert.Equal(1000, (int)pod["securityContext"]!["runAsUser"]!);
        var container = pod["containers"]![0]!;
        Assert.Equal("chorus", (string?)container["name"]);
        Assert.Equal("registry.example.org/chorus:0.12.0", (string?)container["image"]);
        Assert.Equal(["/bin/sh", "-c"], container["command"]!.AsArray().Select(n => (string?)n));
        var study = new KubernetesStudy { Name = "birds-1", Members = 11, MembersPerTask = 3, Cpus = 4, Memory = "6Gi", Pvc = "study-pvc", Out = "/data/runs/birds", Image = "registry.example.org/chorus:0.12.0", StudyArgs = ["--data", "/data/a \"b\" it's: #c", "--quick", "--seed", "0"] };
        Assert.Equal(KubernetesManifest.MemberScript(study), (string?)container["args"]![0]);
        Assert.Equal("4", (string?)container["resources"]!["limits"]!["cpu"]);
        Assert.Equal("6Gi", (string?)container["resources"]!["requests"]!["memory"]);
        Assert.Equal("/data", (string?)container["volumeMounts"]![0]!["mountPath"]);
        Assert.Equal("data", (string?)container["volumeMounts"]![0]!["name"]);
        Assert.Equal("study-pvc", (string?)pod["volumes"]![0]!["persistentVolumeClaim"]!["claimName"]);

        var merge = docs[1]!;
        Assert.Equal("birds-1-merge", (string?)merge["metadata"]!["name"]);
        Assert.True((bool)merge["spec"]!["suspend"]!);
        Assert.Null(merge["spec"]!["completionMode"]);
        Assert.Equal(KubernetesManifest.MergeScript(study), (string?)merge["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]![0]);
    }

    [Fact]
    public async Task File_IsWrittenWhole_AndNamed()
    {
        var dir = TestPaths.TempDir();
        var file = Path.Combine(dir, "sub", "study.yaml");
        var (code, output) = await CliRunner.RunAsync([.. ElevenByThree, "--file", file, "--quick"]);
        Assert.True(code == 0, output);
        Assert.Contains("study.yaml", output);
        var yaml = File.ReadAllText(file);
        Assert.StartsWith("# Chorus study on Kubernetes", yaml);
        Assert.EndsWith("claimName: \"study-pvc\"\n", yaml);
        Assert.Equal(["study.yaml"], Directory.GetFiles(Path.Combine(dir, "sub")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("--out /tmp/run --quick", "--out '/tmp/run'")]
    [InlineData("--members-per-task 12 --quick", "--members-per-task 12")]
    [InlineData("--name Birds_1 --quick", "--name 'Birds_1'")]
    [InlineData("--memory lots --quick", "--memory 'lots'")]
    [InlineData("--members-range 0-1", "--members-range: each pod gets its range")]
    [InlineData("--threads=3", "--threads: each pod runs chorus demo with --threads equal to --cpus")]
    [InlineData("--methods saliency,bogus", "unknown method 'bogus'")]
    [InlineData("--quik", "Unknown option 'quik'")]
    [InlineData("-- --quick", "unexpected arguments: --quick")]
    public async Task BadSettings_ExitTwo_NamingTheProblem(string args, string expected)
    {
        var (code, output) = await CliRunner.RunAsync(["k8s", "manifest", "--members", "11", .. args.Split(' ')]);
        Assert.Equal(ChorusApp.UserErrorExitCode, code);
        Assert.Contains(expected, output.ReplaceLineEndings(" "));
    }

    /// <summary>A folder holding an executable <c>chorus</c> shell script with this body.</summary>
    private static string FakeChorus(string body)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the pods' scripts are POSIX sh");
        }

        var bin = TestPaths.TempDir("fake-chorus");
        var file = Path.Combine(bin, "chorus");
        File.WriteAllText(file, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    /// <summary>Runs <paramref name="script"/> with /bin/sh -c, <paramref name="bin"/> first on PATH; stdout, or throws with stderr.</summary>
    private static string RunShell(string script, string bin, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment["PATH"] = bin + ":/usr/bin:/bin";
        info.Environment.Remove("JOB_COMPLETION_INDEX");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"sh exited {process.ExitCode}: {stderr.Result}");
    }
}

/// <summary>PyYAML through python3, when installed: the manifest read back by a real YAML parser, as JSON.</summary>
internal static class PythonYaml
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            Run("import yaml", "");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"python3 with PyYAML is not available ({e.Message.Trim()}); apt-get install python3-yaml.";
        }
    });

    /// <summary>Why the YAML cannot be parsed here, or null.</summary>
    public static string? Unavailable => Missing.Value;

    /// <summary>True under CI (env CI=true), where a missing parser is a failure, not a skip.</summary>
    public static bool UnderCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Under CI, a test that cannot check the YAML fails.</summary>
    public static void Report(string reason) => Assert.Fail($"CI=true: the manifest could not be parsed as YAML: {reason}");

    /// <summary>Every document of <paramref name="yaml"/> (empty ones left out), as a JSON array.</summary>
    public static JsonNode Parse(string yaml) =>
        JsonNode.Parse(Run("import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d is not None]))", yaml))!;

    private static string Run(string program, string input)
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(program);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout.Result : throw new InvalidOperationException($"python3 exited {process.ExitCode}: {stderr.Result}");
    }
}

/// <summary>A fact that needs python3 with PyYAML: skipped without it locally, run (and failing) without it under CI.</summary>
public sealed class PythonYamlFactAttribute : FactAttribute
{
    public PythonYamlFactAttribute()
    {
        if (PythonYaml.Unavailable is { } reason && !PythonYaml.UnderCi)
        {
            Skip = reason;
        }
    }
}
