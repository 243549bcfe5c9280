/// LOCA's embedding Mult-VAE kept between fits (LocaEmbeddingCache): a fit that reads it scores as
/// one that trained it, and an entry is used only for exactly the same inputs.
module Repro.Tests.Models.LocaEmbeddingCacheTests

open System
open System.IO
open Expecto
open Repro.Core.Models
open Repro.Core.Models.Loca
open Repro.Tests.StructuredData
open Repro.Tests.TempFiles

let private scores (model: IRecommender) =
    let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
    let out = Array.zeroCreate<float32> (rows.Length * items)
    model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
    out

let private vaeHyper = LocaVaeHyper(Anchors = 3, Latent = 4, GlobalEpochs = 3, LocalEpochs = 2, BatchSize = 32, LearningRate = 1e-2, TestBandwidth = 1.0)

let private entries (dir: string) = if Directory.Exists dir then Directory.GetFiles(dir, "loca-embedding-*.bin") else [||]

/// Fits LOCA-VAE with the cache folder (or none) and returns its scores, embeddings and messages.
let private fitVae (cacheDir: string) (hyper: LocaVaeHyper) =
    let said = ResizeArray<string>()
    use model = LocaVae.Fit(train, hyper, 7UL, Action<string> said.Add, cacheDir = cacheDir)
    scores model, model.TrainEmbeddings.ToArray(), Seq.toArray model.Anchors, List.ofSeq said

let private trainedGlobal (said: string list) = said |> List.exists (fun s -> s.Contains "embedding Mult-VAE epoch")

[<Tests>]
let tests =
    testSequenced <| testList "Models.LocaEmbeddingCache" [
        testCase "LOCA-VAE: a second fit reads the global Mult-VAE the first left, and scores bit for bit as a fit without the cache" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            withFolder (fun dir ->
                let plainScores, plainEmb, plainAnchors, _ = fitVae null vaeHyper
                Expect.isEmpty (entries dir) "nothing kept without a folder"
                let s1, e1, a1, said1 = fitVae dir vaeHyper
                Expect.isTrue (trainedGlobal said1) "the first fit trains"
                Expect.equal (entries dir).Length 1 "and leaves one entry"
                let s2, e2, a2, said2 = fitVae dir vaeHyper
                Expect.isFalse (trainedGlobal said2) "the second fit does not train the global Mult-VAE"
                Expect.exists said2 (fun s -> s.Contains "from" && s.Contains (entries dir).[0]) "and says which entry it read"
                for s, e, a, name in [ s1, e1, a1, "first"; s2, e2, a2, "second" ] do
                    Expect.equal e plainEmb (sprintf "%s fit: the embeddings" name)
                    Expect.equal a plainAnchors (sprintf "%s fit: the anchors" name)
                    Expect.equal s plainScores (sprintf "%s fit: the scores" name))

        testCase "another grid point of the same global model (q, bandwidths) reads the entry; another seed, setting, thread count or training matrix does not" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let h = LocaVae.GlobalHyper vaeHyper
            let key = LocaEmbeddingCache.Key(train, h, 7UL, 0.01, 0.8)
            Expect.equal (LocaEmbeddingCache.Key(train, LocaVae.GlobalHyper(LocaVaeHyper(Anchors = 10, Latent = 4, GlobalEpochs = 3, LocalEpochs = 5, BatchSize = 32, LearningRate = 1e-2, TestBandwidth = 0.5)), 7UL, 0.01, 0.8)) key "q, the local epochs and h_test leave the global model as it is"
            let others =
                [ "seed", LocaEmbeddingCache.Key(train, h, 8UL, 0.01, 0.8)
                  "epochs", LocaEmbeddingCache.Key(train, LocaEmbedding.Hyper(4, 1e-2, 32, 4), 7UL, 0.01, 0.8)
                  "noise", LocaEmbeddingCache.Key(train, h, 7UL, 1.0, 0.8)
                  "embedding dropout", LocaEmbeddingCache.Key(train, h, 7UL, 0.01, 1.0)
                  "training matrix", LocaEmbeddingCache.Key(csr items (structuredRows 200 2), h, 7UL, 0.01, 0.8) ]
            for name, other in others do Expect.notEqual other key (sprintf "another %s, another key" name)
            Expect.equal (LocaEmbeddingCache.Key(train, h, 7UL, 0.01, 0.8, 1)) key "the process's thread count (1 here)"
            Expect.notEqual (LocaEmbeddingCache.Key(train, h, 7UL, 0.01, 0.8, 2)) key "another thread count, another key"

        testCase "a damaged entry is said, trained again and replaced" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            withFolder (fun dir ->
                let s1, _, _, _ = fitVae dir vaeHyper
                let path = (entries dir).[0]
                let bytes = File.ReadAllBytes path
                bytes.[bytes.Length / 2] <- bytes.[bytes.Length / 2] ^^^ 0xFFuy
                File.WriteAllBytes(path, bytes)
                let s2, _, _, said2 = fitVae dir vaeHyper
                Expect.exists said2 (fun s -> s.Contains path && s.Contains "training the embedding Mult-VAE again") "names the file and what it does"
                Expect.isTrue (trainedGlobal said2) "trains"
                Expect.equal s2 s1 "same scores"
                let _, _, _, said3 = fitVae dir vaeHyper
                Expect.isFalse (trainedGlobal said3) "the replaced entry is read")

        testCase "LOCA-EASE: a second fit reads the embedding Mult-VAE the first left, and scores as a fit without the cache" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaEaseHyper(Anchors = 3, EmbeddingLatent = 4, EmbeddingEpochs = 3, EmbeddingBatchSize = 32, TestBandwidth = 1.0)
            let fit (cacheDir: string) =
                let said = ResizeArray<string>()
                use model = LocaEase.Fit(train, hyper, 7UL, Action<string> said.Add, cacheDir = cacheDir)
                scores model, List.ofSeq said
            withFolder (fun dir ->
                let plain, _ = fit null
                let first, said1 = fit dir
                let second, said2 = fit dir
                Expect.isTrue (trainedGlobal said1) "the first fit trains"
                Expect.isFalse (trainedGlobal said2) "the second reads"
                Expect.equal first plain "first fit's scores"
                Expect.equal second plain "second fit's scores")
    ]
