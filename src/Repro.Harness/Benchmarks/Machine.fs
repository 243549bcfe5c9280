/// The conditions a benchmark figure carries: cores, processor, the instruction sets that matter
/// (AVX-512, BF16, VNNI, AMX), the load average, and the process's peak memory; and the median the
/// figures are reported as.
module Repro.Harness.Benchmarks.Machine

open System
open System.Diagnostics
open System.IO

let private cpuinfo = lazy (try File.ReadAllLines "/proc/cpuinfo" with _ -> [||])

let private field (name: string) =
    cpuinfo.Force() |> Array.tryPick (fun l ->
        match l.Split(':', 2) with
        | [| k; v |] when k.Trim() = name -> Some(v.Trim())
        | _ -> None)

/// The processor's model name, or "unknown processor".
let processor () = field "model name" |> Option.defaultValue "unknown processor"

/// The instruction-set flags that change what the kernels can do, among those the processor has.
let flags () =
    let wanted = [ "avx2"; "fma"; "avx512f"; "avx512_bf16"; "avx512_vnni"; "amx_bf16"; "amx_tile" ]
    let present = field "flags" |> Option.map (fun f -> Set.ofArray (f.Split ' ')) |> Option.defaultValue Set.empty
    wanted |> List.filter present.Contains

/// True when the processor has AVX-512 BF16 instructions.
let hasBf16 () = List.contains "avx512_bf16" (flags ())

/// The 1-, 5- and 15-minute load averages, or "n/a" where /proc/loadavg is absent.
let loadAverage () = Repro.Harness.LoadAverage.text ()

/// The process's peak resident memory, in MB (10^6 bytes).
let peakMb () =
    use p = Process.GetCurrentProcess()
    p.Refresh()
    float p.PeakWorkingSet64 / 1e6

/// The lines every benchmark prints first, so that a figure always carries its conditions.
let header () =
    let flagText = match flags () with [] -> "none of avx2, avx512f, avx512_bf16, avx512_vnni, amx" | f -> String.concat " " f
    [ sprintf "machine: %d cores, %s" Environment.ProcessorCount (processor ())
      sprintf "instruction sets: %s" flagText
      sprintf "load average (1, 5, 15 min): %s" (loadAverage ())
      sprintf "GLIBC_TUNABLES %s" (match Environment.GetEnvironmentVariable "GLIBC_TUNABLES" with null | "" -> "NOT set (see platform notes)" | v -> "= " + v) ]

/// The median of <paramref name="xs"/> (the mean of the middle two for an even count), NaN when empty.
let median (xs: float seq) =
    let a = Seq.toArray xs |> Array.sort
    if a.Length = 0 then nan elif a.Length % 2 = 1 then a.[a.Length / 2] else (a.[a.Length / 2 - 1] + a.[a.Length / 2]) / 2.0
