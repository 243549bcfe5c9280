module Repro.Cli.Program

[<EntryPoint>]
let main argv = 0
