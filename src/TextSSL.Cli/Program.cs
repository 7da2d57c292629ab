using TextSSL.Cli;
using TextSSL.Runtime;

// the command owns its process: keep freed tensor memory for the next step (see TorchRuntime.TuneNativeHeap)
TorchRuntime.TuneNativeHeap();
return await CliHost.RunAsync(CliApp.CreateRootCommand(), args, programName: "textssl");
