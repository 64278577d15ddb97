using Chorus.Runs;

namespace Chorus.Core.Tests.Runs;

public class SchedulerEnvironmentTests
{
    [Fact]
    public void InASlurmTask_ThreadsFollowCpusPerTask_AndTheJobIsDescribed()
    {
        var env = new Dictionary<string, string>
        {
            ["SLURM_JOB_ID"] = "17", ["SLURM_ARRAY_JOB_ID"] = "15", ["SLURM_ARRAY_TASK_ID"] = "2", ["SLURM_CPUS_PER_TASK"] = "3",
            ["SLURM_MEM_PER_CPU"] = "4000", ["SLURM_RESTART_COUNT"] = "1",
        };
        var scheduler = new SchedulerEnvironment(env.GetValueOrDefault);

        Assert.True(scheduler.IsSlurm);
        Assert.Equal(3, scheduler.DefaultThreads);
        Assert.Equal(12000, scheduler.MemoryMb);
        var described = scheduler.Describe().ToDictionary();
        Assert.Equal("17", described["slurm_job_id"]);
        Assert.Equal("2", described["slurm_array_task_id"]);
        Assert.Equal("1", described["slurm_restart_count"]);
        Assert.Equal("12000", described["scheduler_memory_mb"]);
    }

    [Fact]
    public void MemoryPerNode_WinsOverPerCpu()
    {
        var env = new Dictionary<string, string> { ["SLURM_JOB_ID"] = "1", ["SLURM_MEM_PER_NODE"] = "8192", ["SLURM_MEM_PER_CPU"] = "100" };

        Assert.Equal(8192, new SchedulerEnvironment(env.GetValueOrDefault).MemoryMb);
    }

    [Fact]
    public void OutsideAScheduler_AllCores_AndNothingDescribed()
    {
        var scheduler = new SchedulerEnvironment(_ => null);

        Assert.False(scheduler.IsSlurm);
        Assert.Equal(Environment.ProcessorCount, scheduler.DefaultThreads);
        Assert.Null(scheduler.MemoryMb);
        Assert.Empty(scheduler.Describe());
    }
}
