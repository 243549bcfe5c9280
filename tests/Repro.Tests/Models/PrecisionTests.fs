/// precision=bf16 (Networks/SparseAutoencoder.Products.cs): the processor check, the setting's
/// place in run records, and bf16 products against fp32 on a small fixture where the processor has
/// AVX-512 BF16.
module Repro.Tests.PrecisionTests

open System
open Expecto
open Repro.Core.Sparse
open Repro.Core.Networks
open Repro.Core.Models
open Repro.Core.Models.MultVae
open Repro.Core.Models.Cdae
open Repro.Core.Models.RecVae
open Repro.Harness

let private items = 300

/// 160 users in four taste groups, each preferring a quarter of the items, plus one random item.
let private fixture () =
    let rnd = Random 7
    let rows =
        [ for u in 0 .. 159 ->
            let g = u % 4
            [ for i in g * 75 .. g * 75 + 74 do if rnd.NextDouble() < 0.12 then i ] @ [ rnd.Next items ] |> List.distinct ]
    let rowOf = [| for (u, r) in List.indexed rows do for _ in r -> u |]
    let colOf = [| for r in rows do yield! r |]
    CsrMatrix.FromPairs(List.length rows, items, ReadOnlySpan rowOf, ReadOnlySpan colOf)

let private hyper precision = MultVaeHyper(Hidden = 64, Latent = 16, BatchSize = 40, LearningRate = 1e-2, Precision = precision)

let private scores (model: MultVae) (data: CsrMatrix) =
    let out = Array.zeroCreate<float32> (data.Rows * items)
    model.Score(data, ReadOnlySpan [| 0 .. data.Rows - 1 |], Span out)
    out |> Array.filter Single.IsFinite

let private needsBf16 () =
    if not Bf16Support.Available then skiptestf "this processor lacks %s; the refusal is tested instead" Bf16Support.Flag

let private norm (a: float32[]) = sqrt (Array.sumBy (fun (x: float32) -> float x * float x) a)

[<Tests>]
let processorTests =
    testList "Networks.Bf16Support" [
        testCase "a /proc/cpuinfo whose flags list avx512_bf16 allows bf16" <| fun () ->
            let text = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n\n"
            Expect.isNull (Bf16Support.Lack text) "avx512_bf16 is on the flags line"

        testCase "a processor without avx512_bf16 is refused with a message naming the flag and precision=fp32" <| fun () ->
            // avx512_bf16 as part of another word, or outside the flags line, does not count
            let text = "processor\t: 0\nmodel name\t: avx512_bf16 lookalike\nflags\t\t: fpu avx2 avx512f avx512_bf16x avx512_vnni\n"
            let message = Bf16Support.Lack text
            Expect.isNotNull message "no avx512_bf16 flag"
            Expect.stringContains message "avx512_bf16" "names the flag"
            Expect.stringContains message "precision=fp32" "says what to use instead"

        testCase "on a processor without avx512_bf16 a bf16 network refuses to build" <| fun () ->
            if Bf16Support.Available then skiptest "this processor has avx512_bf16; the refusal is tested on cpuinfo text above"
            let e = Expect.throwsC (fun () -> new MultVae(items, hyper ProductPrecision.Bf16, 1UL) |> ignore) id
            Expect.isTrue (e :? PlatformNotSupportedException) (sprintf "a PlatformNotSupportedException, got %s" (e.GetType().Name))
            Expect.stringContains e.Message "precision=fp32" "says what to use instead"
    ]

[<Tests>]
let productTests =
    testList "Networks.Bf16Products" [
        testCase "untrained, bf16 scores are within 2% of the largest fp32 score and not all identical to fp32's" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            use fp32 = new MultVae(items, hyper ProductPrecision.Fp32, 11UL)
            use bf16 = new MultVae(items, hyper ProductPrecision.Bf16, 11UL)
            Expect.equal bf16.Network.Precision ProductPrecision.Bf16 "the network runs bf16 products"
            let a, b = scores fp32 data, scores bf16 data
            let diff = Array.map2 (fun (x: float32) y -> abs (float x - float y)) a b |> Array.max
            let scale = a |> Array.map (fun x -> abs (float x)) |> Array.max
            Expect.isLessThan diff (0.02 * scale) (sprintf "max |bf16 - fp32| %g against largest |score| %g" diff scale)
            Expect.isGreaterThan diff 0.0 "bf16 products round their operands, so some score differs"

        testCase "one batch's gradients in bf16 are within 2% of fp32's (output weight and first layer), same batch and noise" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            use fp32 = new MultVae(items, hyper ProductPrecision.Fp32, 5UL)
            use bf16 = new MultVae(items, hyper ProductPrecision.Bf16, 5UL)
            let rows = [| 0 .. 39 |]
            let lossA = fp32.Network.ComputeGradients(data, ReadOnlySpan rows, 0.5, 0.2)
            let lossB = bf16.Network.ComputeGradients(data, ReadOnlySpan rows, 0.5, 0.2)
            Expect.floatClose { absolute = 0.0; relative = 0.01 } lossB.Loss lossA.Loss "the batch loss"
            for name in [ "p.W1"; "q.W0" ] do
                let ga, gb = fp32.Network.Gradients.Span(name).ToArray(), bf16.Network.Gradients.Span(name).ToArray()
                let rel = norm (Array.map2 (-) gb ga) / norm ga
                Expect.isLessThan rel 0.02 (sprintf "%s: ||g_bf16 - g_fp32|| / ||g_fp32|| = %g" name rel)

        testCase "the same seed trains bit-identical bf16 networks" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            let train () =
                let m = new MultVae(items, hyper ProductPrecision.Bf16, 3UL)
                for epoch in 0 .. 4 do
                    for start in 0 .. 40 .. 159 do m.TrainStep(data, ReadOnlySpan [| start .. start + 39 |], 0.2) |> ignore
                m
            use a = train ()
            use b = train ()
            Expect.sequenceEqual (scores b data) (scores a data) "same seed, same threads"

        testCase "trained 30 epochs from the same seed, bf16's validation loss is within 2% of fp32's" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            let trained precision =
                let m = new MultVae(items, hyper precision, 9UL)
                for epoch in 0 .. 29 do
                    for start in 0 .. 40 .. 159 do m.TrainStep(data, ReadOnlySpan [| start .. start + 39 |], 0.2) |> ignore
                m
            use a = trained ProductPrecision.Fp32
            use b = trained ProductPrecision.Bf16
            let all = [| 0 .. data.Rows - 1 |]
            let la, lb = a.Evaluate(data, ReadOnlySpan all, 0.2).Loss, b.Evaluate(data, ReadOnlySpan all, 0.2).Loss
            let untrained = (new MultVae(items, hyper ProductPrecision.Fp32, 9UL)).Evaluate(data, ReadOnlySpan all, 0.2).Loss
            Expect.isLessThan la (0.9 * untrained) "fp32 learnt something, so the comparison means something"
            Expect.floatClose { absolute = 0.0; relative = 0.02 } lb la "negative ELBO after training"
    ]

let private autoencoders = [ "mult-vae"; "mult-dae"; "ae"; "sparse-ae"; "contractive-ae"; "gaussian-dae"; "stacked-dae"; "mult-vae-gmm"; "mult-vae-vamp"; "cdae"; "recvae" ]

let private specOf name assignments =
    match ModelSpec.parse name assignments with
    | Ok spec -> spec
    | Error e -> failtestf "%s %A: %s" name assignments e

[<Tests>]
let settingTests =
    testList "Settings.Precision" [
        testCase "fp32 is left out of the settings, so recorded runs keep their ids (results/local's Gowalla Mult-VAE^PR, 50 epochs, is 5b1dd09a)" <| fun () ->
            let spec = specOf "mult-vae" [ "epochs=50" ]
            Expect.isFalse (spec.Settings |> List.exists (fun (n, _) -> n = "precision")) "no precision entry at fp32"
            Expect.equal (ModelSpec.settingsHash spec) "5b1dd09a" "the hash recorded in results/local/gowalla/mult-vae-5b1dd09a-s1"

        testCase "bf16 is written as precision=Bf16, changes the hash, and reads back from the settings as a resumed run does" <| fun () ->
            for name in autoencoders do
                let fp32, bf16 = specOf name [], specOf name [ "precision=bf16" ]
                Expect.contains bf16.Settings ("precision", "Bf16") (name + ": recorded")
                Expect.notEqual (ModelSpec.settingsHash bf16) (ModelSpec.settingsHash fp32) (name + ": its own run id")
                match ModelSpec.ofSettings name bf16.Settings with
                | Ok back -> Expect.equal back.Settings bf16.Settings (name + ": read back")
                | Error e -> failtestf "%s: %s" name e
                match ModelSpec.ofSettings name fp32.Settings with
                | Ok back -> Expect.isFalse (back.Settings |> List.exists (fun (n, _) -> n = "precision")) (name + ": a record without it is fp32")
                | Error e -> failtestf "%s: %s" name e

        testCase "an unknown precision is refused, naming fp32 and bf16" <| fun () ->
            match ModelSpec.parse "mult-vae" [ "precision=fp16" ] with
            | Ok _ -> failtest "fp16 accepted"
            | Error e ->
                Expect.stringContains e "precision" "names the setting"
                Expect.stringContains e "fp32, bf16" "lists what is allowed"
    ]

// ------------------------------------------------------------------ CDAE and RecVAE (Networks/Bf16OutputLayer.cs)

let private cdaeHyper precision = CdaeHyper(Hidden = 16, BatchSize = 40, LearningRate = 1e-2, FoldInSteps = 5, Precision = precision)
let private recVaeHyper precision = RecVaeHyper(Hidden = 32, Latent = 8, BatchSize = 40, LearningRate = 1e-2, Precision = precision)

/// Training losses of each batch over <paramref name="epochs"/> epochs of the fixture, in batches of 40 users.
let private trainCdae (model: Cdae) (data: CsrMatrix) epochs =
    [ for _ in 1 .. epochs do
        for start in 0 .. 40 .. data.Rows - 1 -> model.TrainStep(data, ReadOnlySpan [| start .. start + 39 |]).Loss ]

/// The same for RecVAE, each epoch its encoder passes then its decoder pass.
let private trainRecVae (model: RecVae) (data: CsrMatrix) epochs =
    [ for _ in 1 .. epochs do
        for pass in 0 .. model.Hyper.PassesPerEpoch - 1 do
            model.BeginPass pass
            for start in 0 .. 40 .. data.Rows - 1 -> model.TrainStep(data, ReadOnlySpan [| start .. start + 39 |], 0.0).Loss ]

let private scoresOf (model: IRecommender) (data: CsrMatrix) =
    let out = Array.zeroCreate<float32> (data.Rows * items)
    model.Score(data, ReadOnlySpan [| 0 .. data.Rows - 1 |], Span out)
    out |> Array.filter Single.IsFinite

/// max |b - a| relative to the largest |a|.
let private relativeGap (a: float32[]) (b: float32[]) =
    let diff = Array.map2 (fun (x: float32) y -> abs (float x - float y)) a b |> Array.max
    diff / (a |> Array.map (fun x -> abs (float x)) |> Array.max)

/// Runs f with libtorch on one thread (the encoder's reductions round by thread count; other tests change it).
let private onOneTorchThread f =
    let before = TorchSharp.torch.get_num_threads ()
    TorchSharp.torch.set_num_threads 1
    try f () finally TorchSharp.torch.set_num_threads before

/// Losses <paramref name="a"/> (default settings) and <paramref name="b"/> (Precision = Fp32 set) agree
/// bit for bit, and a's first and last are the values pinned from the code before the setting existed,
/// to 1e-7: the pins were taken on an AVX-512 processor, and libtorch's fp32 kernels round differently
/// on others (on an AVX2-only AMD EPYC RecVAE's first loss is 1e-9 relative off), while bf16 products
/// move the last losses by 3e-5 (CDAE) to 2e-4 (RecVAE).
let private expectPinnedFp32 (a: float list) (b: float list) first last =
    Expect.sequenceEqual b a "explicit fp32 is the default"
    Expect.floatClose { absolute = 0.0; relative = 1e-7 } (List.head a) first "first batch loss"
    Expect.floatClose { absolute = 0.0; relative = 1e-7 } (List.last a) last "last batch loss"

/// Same-seed training losses and scores of a bf16 model against the fp32 one: close, but not identical.
let private expectBf16NearFp32 (la: float list) (lb: float list) (fp32: IRecommender) (bf16: IRecommender) data =
    Expect.isLessThan (List.last la) (0.9 * List.head la) "fp32 learnt something, so the comparison means something"
    let tail (l: float list) = List.skip (l.Length - 4) l |> List.average
    Expect.floatClose { absolute = 0.0; relative = 0.002 } (tail lb) (tail la) "mean loss of the last 4 batches"
    let gap = relativeGap (scoresOf fp32 data) (scoresOf bf16 data)
    Expect.isLessThan gap 0.05 "max |bf16 - fp32| score against the largest |fp32 score|"
    Expect.isGreaterThan gap 0.0 "bf16 products round their operands, so some score differs"

[<Tests>]
let autoencoderTests =
    testSequenced <| testList "Models.Precision" [
        // The first and last losses of these runs as the fp32 code gave them before the precision setting
        // existed (the output layer's products in plain addmm_), on one libtorch thread: fp32 must stay bit for bit what it was.
        testCase "CDAE at fp32, default or set explicitly, trains the losses it trained before the setting existed" <| fun () -> onOneTorchThread <| fun () ->
            let data = fixture ()
            use byDefault = new Cdae(items, CdaeHyper(Hidden = 16, BatchSize = 40, LearningRate = 1e-2, FoldInSteps = 5), 13UL)
            use explicitFp32 = new Cdae(items, cdaeHyper ProductPrecision.Fp32, 13UL)
            expectPinnedFp32 (trainCdae byDefault data 3) (trainCdae explicitFp32 data 3) 53.053511075304655 31.407993096933485
            Expect.sequenceEqual (scoresOf explicitFp32 data) (scoresOf byDefault data) "scores after fold-in"

        testCase "RecVAE at fp32, default or set explicitly, trains the losses it trained before the setting existed" <| fun () -> onOneTorchThread <| fun () ->
            let data = fixture ()
            use byDefault = new RecVae(items, RecVaeHyper(Hidden = 32, Latent = 8, BatchSize = 40, LearningRate = 1e-2), 13UL)
            use explicitFp32 = new RecVae(items, recVaeHyper ProductPrecision.Fp32, 13UL)
            // first loss from an encoder pass, last from a decoder pass
            expectPinnedFp32 (trainRecVae byDefault data 2) (trainRecVae explicitFp32 data 2) 61.12314233556883 52.494961401708586
            Expect.sequenceEqual (scoresOf explicitFp32 data) (scoresOf byDefault data) "scores"

        testCase "on a processor without avx512_bf16, bf16 CDAE and RecVAE refuse to build, naming precision=fp32" <| fun () ->
            if Bf16Support.Available then skiptest "this processor has avx512_bf16; the refusal is tested on cpuinfo text in Networks.Bf16Support"
            for build in [ (fun () -> new Cdae(items, cdaeHyper ProductPrecision.Bf16, 1UL) :> IDisposable)
                           (fun () -> new RecVae(items, recVaeHyper ProductPrecision.Bf16, 1UL) :> IDisposable) ] do
                let e = Expect.throwsC (fun () -> build () |> ignore) id
                Expect.isTrue (e :? PlatformNotSupportedException) (sprintf "a PlatformNotSupportedException, got %s" (e.GetType().Name))
                Expect.stringContains e.Message "precision=fp32" "says what to use instead"

        // Measured here: last losses 0.003% (CDAE) and 0.02% (RecVAE) apart, largest score gaps 1.2% and 2.9%.
        testCase "CDAE trained 10 epochs from the same seed: bf16's last losses within 0.2% of fp32's, fold-in scores within 5% of the largest, and not identical" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            use fp32 = new Cdae(items, cdaeHyper ProductPrecision.Fp32, 21UL)
            use bf16 = new Cdae(items, cdaeHyper ProductPrecision.Bf16, 21UL)
            let la, lb = trainCdae fp32 data 10, trainCdae bf16 data 10
            expectBf16NearFp32 la lb fp32 bf16 data

        testCase "RecVAE trained 5 epochs from the same seed: bf16's last losses within 0.2% of fp32's, scores within 5% of the largest, and not identical" <| fun () ->
            needsBf16 ()
            let data = fixture ()
            use fp32 = new RecVae(items, recVaeHyper ProductPrecision.Fp32, 21UL)
            use bf16 = new RecVae(items, recVaeHyper ProductPrecision.Bf16, 21UL)
            let la, lb = trainRecVae fp32 data 5, trainRecVae bf16 data 5
            expectBf16NearFp32 la lb fp32 bf16 data
    ]
