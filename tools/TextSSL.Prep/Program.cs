using TextSSL.Cli;
using TextSSL.Prep;

return await CliHost.RunAsync(PrepApp.CreateRootCommand(), args, programName: "textssl-prep");
