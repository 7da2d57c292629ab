using TextSSL.Cli;

return await CliHost.RunAsync(CliApp.CreateRootCommand(), args, programName: "textssl");
