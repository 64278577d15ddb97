using Chorus.Cli;

return await ChorusApp.RunAsync(args).ConfigureAwait(false);
