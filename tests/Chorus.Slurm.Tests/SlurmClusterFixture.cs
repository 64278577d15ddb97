using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Chorus.Slurm.Tests;

/// <summary>
/// A real one-node Slurm cluster for the tests of this project: tests/slurm/cluster.sh in a temp folder (it installs
/// Debian's Slurm packages when missing), started once and stopped by PID when the tests end, also when they fail; the
/// script also stops by itself when this test process is gone.
/// </summary>
public sealed class SlurmClusterFixture : IDisposable
{
    private readonly Process? _cluster;
    private readonly System.Text.StringBuilder _log = new();

    public SlurmClusterFixture()
    {
        Folder = TestPaths.TempDir("slurm-cluster");
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "tests", "slurm", "cluster.sh"), Folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CHORUS_CLUSTER_PARENT"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CHORUS_SLURMCTLD_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CHORUS_SLURMD_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        try
        {
            _cluster = Process.Start(start)!;
        }
        catch (Exception e)
        {
            Failure = $"could not start tests/slurm/cluster.sh: {e.Message}";
            return;
        }

        var ready = new TaskCompletionSource<string?>();
        _cluster.OutputDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }

            if (e.Data is null)
            {
                ready.TrySetResult(null);
            }
            else if (e.Data.StartsWith("READY", StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data);
            }
        };
        _cluster.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        };
        _cluster.BeginOutputReadLine();
        _cluster.BeginErrorReadLine();

        // Installing the packages on a fresh machine takes about 20 s; starting the cluster about 2 s.
        if (!ready.Task.Wait(TimeSpan.FromMinutes(4)) || ready.Task.Result is null)
        {
            Failure = $"the one-node Slurm cluster did not start: {Log}";
            return;
        }

        StartSeconds = clock.Elapsed.TotalSeconds;
        SlurmConf = Path.Combine(Folder, "slurm.conf");
    }

    /// <summary>The cluster's folder (configuration, state, logs).</summary>
    public string Folder { get; }

    /// <summary>Its slurm.conf, for SLURM_CONF; null when it did not start.</summary>
    public string? SlurmConf { get; }

    /// <summary>Why it did not start, or null.</summary>
    public string? Failure { get; }

    /// <summary>Seconds from start to an idle node.</summary>
    public double StartSeconds { get; }

    /// <summary>What the script printed so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Runs a Slurm client command against the cluster.</summary>
    public (int Code, string Output) Client(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["SLURM_CONF"] = SlurmConf;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    public void Dispose()
    {
        if (_cluster is null || _cluster.HasExited)
        {
            _cluster?.Dispose();
            return;
        }

        // SIGTERM: the script stops the daemons by PID and waits for them.
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _cluster.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            kill?.WaitForExit();
        }

        if (!_cluster.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            _cluster.Kill(entireProcessTree: true);
            _cluster.WaitForExit();
        }

        _cluster.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition("Slurm")]
public sealed class SlurmCollection : ICollectionFixture<SlurmClusterFixture>;
