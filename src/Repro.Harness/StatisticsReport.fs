/// Dataset statistics as text, next to the paper's Table 1 where the dataset is one of its three;
/// a mismatch is a loud warning naming both numbers.
module Repro.Harness.StatisticsReport

open System
open Repro.Core.Protocols
open Repro.Harness.PaperTable1

let private n (x: float) = x.ToString("#,0", Globalization.CultureInfo.InvariantCulture)
let private pct (x: float) = (100.0 * x).ToString("0.000", Globalization.CultureInfo.InvariantCulture) + "%"

/// The report's lines, and the warnings (also included in the lines).
let lines (dataset: string) (s: DatasetStatistics) : string list * string list =
    let paper = tryFind dataset
    let warnings = ResizeArray<string>()
    let row (label: string) (measured: float) (show: float -> string) (paperValue: Number option) =
        match paperValue with
        | None -> sprintf "  %-34s %16s" label (show measured)
        | Some p ->
            let ok = matches p measured
            if not ok then
                warnings.Add(sprintf "WARNING: %s: %s %s here, but the paper's Table 1 says %s [%s]" dataset label (show measured) (show p.Value) p.Provenance.Label)
            sprintf "  %-34s %16s %16s [%s] %s" label (show measured) (show p.Value) p.Provenance.Label (if ok then "matches" else "MISMATCH")
    let body =
        [ sprintf "  %-34s %16s %16s" "" "measured" (if paper.IsSome then "paper Table 1" else "")
          row "users" (float s.Users) n (paper |> Option.map (fun p -> p.Users))
          row "items (training vocabulary)" (float s.VocabularyItems) n (paper |> Option.map (fun p -> p.Items))
          row "items (all users)" (float s.Items) n None
          row "events" (float s.Events) n (paper |> Option.map (fun p -> p.Events))
          sprintf "  %-34s %16s %16s" "density (events / users x vocab.)" (pct s.DensityOverVocabulary)
              (match paper with Some p -> pct (density p).Value + " [C]" | None -> "")
          row "held-out users (validation, test)" (float s.Validation.Users) n (paper |> Option.map (fun p -> p.HeldOut))
          row "training users" (float s.TrainingUsers) n None
          row "training events" (float s.TrainingEvents) n None
          sprintf "  %-34s %16s" "validation: fold-in / target events" (sprintf "%s / %s" (n (float s.Validation.FoldInEvents)) (n (float s.Validation.TargetEvents)))
          sprintf "  %-34s %16s" "test: fold-in / target events" (sprintf "%s / %s" (n (float s.Test.FoldInEvents)) (n (float s.Test.TargetEvents)))
          sprintf "  %-34s %16s" "held-out users without targets" (sprintf "%d + %d (excluded from metrics)" s.Validation.UsersWithoutTargets s.Test.UsersWithoutTargets)
          sprintf "  %-34s %16s" "held-out events on unseen items" (sprintf "%s (dropped)" (n (float s.HeldOutEventsDropped))) ]
    body @ List.ofSeq warnings, List.ofSeq warnings
