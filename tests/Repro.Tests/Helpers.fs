/// Small helpers shared by test modules.
module Repro.Tests.Helpers

open System
open System.IO
open Expecto

/// The exception of type 'E that the body throws (Expecto's throwsT does not return it).
let raises<'E when 'E :> exn> (body: unit -> unit) : 'E =
    let caught = try body (); None with e -> Some e
    match caught with
    | Some (:? 'E as e) -> e
    | Some e -> failtestf "expected %s, got %s: %s" typeof<'E>.Name (e.GetType().Name) e.Message
    | None -> failtestf "expected %s, nothing was thrown" typeof<'E>.Name
