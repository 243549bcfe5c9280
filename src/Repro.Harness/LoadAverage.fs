/// The machine's load average, which run records and benchmark figures carry because timings on a
/// shared machine depend on what else runs. One reader of /proc/loadavg for all of them.
module Repro.Harness.LoadAverage

open System
open System.Globalization
open System.IO

/// The 1-, 5- and 15-minute figures of a /proc/loadavg line ("0.52 0.61 0.70 1/234 5678"), or None
/// when the line does not start with three numbers.
let parse (line: string) : (float * float * float) option =
    let fields = (if isNull line then "" else line).Split(' ', StringSplitOptions.RemoveEmptyEntries)
    let number (s: string) =
        match Double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, v when v >= 0.0 -> Some v
        | _ -> None
    if fields.Length < 3 then None
    else
        match number fields.[0], number fields.[1], number fields.[2] with
        | Some a, Some b, Some c -> Some(a, b, c)
        | _ -> None

/// The three figures now, or None where /proc/loadavg cannot be read (not Linux).
let read () = try parse (File.ReadAllText "/proc/loadavg") with _ -> None

/// The 1-minute figure now, or None.
let oneMinute () = read () |> Option.map (fun (a, _, _) -> a)

/// The three figures as text ("0.52 0.61 0.70", as /proc/loadavg prints them), or "n/a".
let text () =
    match read () with
    | Some(a, b, c) -> String.Join(" ", [| a; b; c |] |> Array.map (fun v -> v.ToString("0.00", CultureInfo.InvariantCulture)))
    | None -> "n/a"
