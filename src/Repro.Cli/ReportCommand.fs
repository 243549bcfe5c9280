/// `repro report`: regenerates paper-tables.md, its figures and report.html from results/.
module Repro.Cli.ReportCommand

open System.IO
open Argu
open Repro.Cli.Arguments
open Repro.Harness.Report

let run (args: ParseResults<ReportArgs>) (command: string) : int =
    let output = args.GetResult(Report_Output, defaultValue = "paper-tables.md")
    let folder = Path.GetDirectoryName output
    let options : Reporter.Options =
        { Results = args.GetResult(Report_Results, defaultValue = "results")
          Output = output
          Figures = args.GetResult(Report_Figures, defaultValue = Path.Combine(folder, "figures"))
          Html = Path.Combine(folder, "report.html")
          Experiment = args.TryGetResult Report_Experiment
          Command = command }
    if not (Directory.Exists options.Results) then
        eprintfn "error: the results folder %s does not exist" options.Results
        1
    else
    let outcome = Reporter.write options
    for path, _ in outcome.Files do printfn "Wrote %s" path
    for s in outcome.Skipped do eprintfn "skipped %s: %s" s.Folder s.Reason
    printfn "%d table(s) from %d run(s); %d folder(s) skipped" outcome.Tables.Length (outcome.Tables |> List.sumBy (fun t -> t.Rows |> List.sumBy (fun r -> r.GridPoints |> List.sumBy (fun p -> p.Runs.Length)))) outcome.Skipped.Length
    0
