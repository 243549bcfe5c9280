/// The rating-prediction task: RMSE and MAE on hand-checked cases, the default rating and clipping,
/// random splits by fraction (FsCheck), bad rating files, AutoRec's observed-only loss (spec §8),
/// the MF baselines, the rating runner's folders and the rating tables of the report.
module Repro.Tests.RatingTests

open System
open System.IO
open Expecto
open Repro.Core
open Repro.Core.Data.Readers
open Repro.Core.Ratings
open Repro.Core.Models.AutoRec
open Repro.Core.Models.MatrixFactorization
open Repro.Harness
open Repro.Tests.TempFiles
open TorchSharp

/// A rating set of (user, item, rating) triples over the given index space.
let private ratings (users: int) (items: int) (events: (int * int * float32) list) =
    RatingSet([| for u, _, _ in events -> u |], [| for _, i, _ in events -> i |], [| for _, _, r in events -> r |], users, items)

/// A model that predicts given values in pair order.
let private fixedModel (values: float32[]) =
    { new IRatingModel with
        member _.Fit(_, _, _, _) = ()
        member _.Predict(pairs) = Array.sub values 0 pairs.Count
        member _.Dispose() = () }

/// n events, event k by user k (so events are told apart by their user).
let private numbered (n: int) = ratings n 1 [ for k in 0 .. n - 1 -> k, 0, float32 (k % 5 + 1) ]

let private splitOk (n: int) (fraction: float) (seed: uint64) =
    let all = numbered n
    let struct (a, b) = RatingSplit.Random(all, fraction, seed)
    a, b

/// A fully observed 6-user x 4-item matrix of rank 2 (rows are combinations of two patterns).
let private rank2 =
    let x = [| 1.0; 2.0; 3.0; 4.0 |]
    let y = [| 2.0; 1.0; 0.5; 1.5 |]
    ratings 6 4 [ for u in 0 .. 5 do
                    let a, b = float (u % 3) * 0.5, float (u / 3) + 0.5
                    for i in 0 .. 3 -> u, i, float32 (a * x.[i] + b * y.[i]) ]

let private empty (like: RatingSet) = RatingSet([||], [||], [||], like.UserCount, like.ItemCount)

/// A hand-written rating-run.json (Ratings.describe's fields the report reads).
let private writeRun (dir: string) (group: string) (model: string) (hash: string) (fraction: float) (validation: float) (test: float list) =
    let folder = Path.Combine(dir, "ratings", "ml-100k", sprintf "train%g" (fraction * 100.0), sprintf "%s-%s" model hash)
    Directory.CreateDirectory folder |> ignore
    let m, se = Ratings.meanAndError test
    let inv (x: float) = x.ToString("R", Globalization.CultureInfo.InvariantCulture)
    let repeats = test |> List.mapi (fun k v -> sprintf """{ "repeat": %d, "testRmse": %s, "testMae": 0.7 }""" (k + 1) (inv v)) |> String.concat ", "
    File.WriteAllText(Path.Combine(folder, Ratings.runFile),
        sprintf """{ "experiment": "ratings", "dataset": "ml-100k", "trainFraction": %s, "group": "%s", "model": "%s", "settingsHash": "%s",
  "settings": { "factors": "10" }, "commit": "0123456789abcdef", "repeats": [ %s ],
  "test": { "RMSE": { "mean": %s, "standardError": %s, "n": %d }, "MAE": { "mean": 0.7, "standardError": 0.001, "n": %d } },
  "validation": { "RMSE": { "mean": %s, "standardError": 0.001, "n": %d } } }"""
            (inv fraction) group model hash repeats (inv m) (inv se) test.Length test.Length (inv validation) test.Length)

let private rmse (p: float32[]) (a: float32[]) = RatingMetrics.Rmse(ReadOnlySpan p, ReadOnlySpan a)
let private mae (p: float32[]) (a: float32[]) = RatingMetrics.Mae(ReadOnlySpan p, ReadOnlySpan a)

/// A rows x columns float tensor.
let private matrix (rows: int64) (columns: int64) (values: float32[]) = torch.tensor(values).reshape(rows, columns)

let private text (blocks: Report.Document.Block list) = Report.Document.markdown id blocks

[<Tests>]
let tests =
    testSequenced <| testList "Ratings" [
        testList "Metrics" [
            testCase "RMSE and MAE of errors 1, 0 and 2 are sqrt(5/3) and 1" <| fun () ->
                let p, a = [| 3f; 4f; 5f |], [| 2f; 4f; 3f |]
                Expect.floatClose Accuracy.high (rmse p a) (sqrt (5.0 / 3.0)) "RMSE"
                Expect.floatClose Accuracy.high (mae p a) 1.0 "MAE"
            testCase "different lengths and empty inputs are rejected" <| fun () ->
                Expect.throwsT<ArgumentException> (fun () -> rmse [| 1f |] [| 1f; 2f |] |> ignore) "lengths"
                Expect.throwsT<ArgumentException> (fun () -> mae [||] [||] |> ignore) "empty"
            testCase "a pair whose user or item is unseen gets the default rating; others are clipped to the scale" <| fun () ->
                let seen = ratings 3 3 [ 0, 0, 4f; 1, 1, 2f ]
                let targets = ratings 3 3 [ 0, 1, 5f; 1, 0, 1f; 2, 0, 3f; 0, 2, 4f ]
                // Raw 6.5 and -1 clip to 5 and 1; user 2 and item 2 have no rating in `seen`: default 3.
                use model = fixedModel [| 6.5f; -1f; 4f; 4f |]
                let struct (p, defaulted) = RatingEvaluation.Predict(model, seen, targets, RatingScale(1f, 5f, 3f))
                Expect.sequenceEqual p [| 5f; 1f; 3f; 3f |] "clipped, clipped, default, default"
                Expect.equal defaulted 2 "two defaults"
                let s = RatingEvaluation.Evaluate(model, seen, targets, RatingScale(1f, 5f, 3f))
                // Errors 0, 0, 0, -1.
                Expect.floatClose Accuracy.high s.Rmse 0.5 "RMSE sqrt(1/4)"
                Expect.floatClose Accuracy.high s.Mae 0.25 "MAE 1/4"
        ]
        testList "Split" [
            testProperty "parts are disjoint, cover every event, and the first has round(fraction x n) events" <| fun (n: uint16) (f: uint8) (seed: uint64) ->
                let n = int n % 2000 + 1
                let fraction = (float (int f % 98) + 1.0) / 100.0
                let a, b = splitOk n fraction seed
                Expect.equal a.Count (int (Math.Round(fraction * float n, MidpointRounding.AwayFromZero))) "first part size"
                Expect.equal (a.Count + b.Count) n "sizes add up"
                Expect.equal (Set.ofArray a.Users |> Set.intersect (Set.ofArray b.Users)) Set.empty "disjoint"
                Expect.equal (Set.union (Set.ofArray a.Users) (Set.ofArray b.Users)) (Set.ofList [ 0 .. n - 1 ]) "cover"
                Expect.isTrue (a.Users |> Array.pairwise |> Array.forall (fun (x, y) -> x < y)) "file order kept"
            testProperty "the same seed gives the same split; another seed another one" <| fun (seed: uint64) ->
                let a1, _ = splitOk 500 0.8 seed
                let a2, _ = splitOk 500 0.8 seed
                let a3, _ = splitOk 500 0.8 (seed + 1UL)
                Expect.sequenceEqual a1.Users a2.Users "same seed"
                Expect.notEqual (List.ofArray a1.Users) (List.ofArray a3.Users) "another seed"
            testCase "a fraction outside (0, 1) is rejected" <| fun () ->
                Expect.throwsT<ArgumentOutOfRangeException> (fun () -> splitOk 10 1.0 1UL |> ignore) "fraction 1"
                Expect.throwsT<ArgumentOutOfRangeException> (fun () -> splitOk 10 0.0 1UL |> ignore) "fraction 0"
            testCase "the protocol's split seeds are the same for every model and differ between repeats and fractions" <| fun () ->
                let s : Ratings.RatingSetup = { Dataset = "ml-100k"; TrainFraction = 0.9; ValidationFraction = 0.1 }
                Expect.equal (Ratings.splitSeed s 1) (Ratings.splitSeed s 1) "stable"
                Expect.notEqual (Ratings.splitSeed s 1) (Ratings.splitSeed s 2) "repeats differ"
                Expect.notEqual (Ratings.splitSeed s 1) (Ratings.splitSeed { s with TrainFraction = 0.8 } 1) "fractions differ"
        ]
        testList "BadInput" [
            BadInputTests.bad "u.data read as ratings: a line with 3 fields is rejected" "u.data" "1\t2\t3\t4\n1\t2\t3\n"
                (MovieLens100KReader.Read >> RatingSet.FromLog) 2L "expected 4"
            BadInputTests.bad "ratings.csv read as ratings: a non-numeric rating is rejected" "ratings.csv"
                (MovieLensCsvReader.Header + "\n1,2,3.0,4\n1,3,good,5\n") (MovieLensCsvReader.Read >> RatingSet.FromLog) 3L "expected a number as rating"
            testCase "a rating set with an index outside its space is rejected" <| fun () ->
                Expect.throwsT<ArgumentOutOfRangeException> (fun () -> ratings 2 2 [ 0, 2, 3f ] |> ignore) "item 2 of 2"
        ]
        testList "AutoRec" [
            testCase "changing an unobserved target changes neither the loss nor its gradient; an observed one changes the loss" <| fun () ->
                TorchRuntime.EnsureLoaded 1
                use net = new AutoRecNetwork(AutoRecHyper(Hidden = 3, Lambda = 0.5), 4, 7UL)
                let mask = matrix 2L 4L [| 1f; 0f; 1f; 1f; 0f; 1f; 1f; 0f |]
                let lossAndGrad (values: float32[]) =
                    for p in net.Parameters do (if not (isNull p.grad) then p.grad.zero_() |> ignore)
                    let loss = net.Loss(matrix 2L 4L values, mask)
                    loss.backward()
                    loss.item<float32>(), [| for p in net.Parameters -> p.grad.data<float32>().ToArray() |]
                let l1, g1 = lossAndGrad [| 4f; 0f; 2f; 5f; 0f; 3f; 1f; 0f |]
                let l2, g2 = lossAndGrad [| 4f; 5f; 2f; 5f; -3f; 3f; 1f; 2f |] // entries 1, 4 and 7 are unobserved
                Expect.equal l2 l1 "loss unchanged"
                for a, b in Array.zip g1 g2 do Expect.sequenceEqual b a "gradient unchanged"
                let l3, _ = lossAndGrad [| 4f; 0f; 2f; 1f; 0f; 3f; 1f; 0f |] // entry 3 is observed
                Expect.isGreaterThan (abs (l3 - l1)) 1e-3f "an observed target counts"
            testCase "the gradient of the observed-only loss matches finite differences" <| fun () ->
                TorchRuntime.EnsureLoaded 1
                use net = new AutoRecNetwork(AutoRecHyper(Hidden = 2, Lambda = 0.3), 3, 11UL)
                let x = matrix 2L 3L [| 1f; 0f; 3f; 2f; 5f; 0f |]
                let mask = matrix 2L 3L [| 1f; 0f; 1f; 1f; 1f; 0f |]
                let loss = net.Loss(x, mask)
                loss.backward()
                let w = net.Weights.[0]
                let analytic = w.grad.data<float32>().ToArray()
                let eps = 1e-2f
                let acc = w.data<float32>()
                for k in 0 .. analytic.Length - 1 do
                    let r, c = int64 (k / 3), int64 (k % 3)
                    let original = acc.[r, c]
                    let at (v: float32) =
                        acc.[r, c] <- v
                        use _ = torch.no_grad()
                        float (net.Loss(x, mask).item<float32>())
                    let numeric = (at (original + eps) - at (original - eps)) / (2.0 * float eps)
                    acc.[r, c] <- original
                    Expect.floatClose { absolute = 2e-3; relative = 2e-2 } (float analytic.[k]) numeric (sprintf "dL/dV[%d,%d]" r c)
            testCase "with lambda 0 and identity activations, k >= rank fits a fully observed 6 x 4 matrix exactly (spec §8)" <| fun () ->
                TorchRuntime.EnsureLoaded 1
                let h = AutoRecHyper(Kind = AutoRecKind.UserBased, Hidden = 4, Lambda = 0.0, Activation = AutoRecActivation.Identity, Iterations = 3000, StepSize = 0.01, EvaluateEvery = 500)
                use model = new AutoRec(h)
                model.Fit(rank2, empty rank2, 3UL)
                let rmse = rmse (model.Predict rank2) rank2.Ratings
                Expect.isLessThan rmse 1e-2 "training RMSE -> 0"
                Expect.isLessThan model.Losses.[model.Losses.Count - 1] (model.Losses.[0] / 1000.0) "the loss falls"
            testCase "I-AutoRec reconstructs the item vectors: its prediction for (u, i) is row i, column u" <| fun () ->
                TorchRuntime.EnsureLoaded 1
                let h = AutoRecHyper(Kind = AutoRecKind.ItemBased, Hidden = 4, Lambda = 0.0, Activation = AutoRecActivation.Identity, Iterations = 3000, StepSize = 0.01, EvaluateEvery = 500)
                use model = new AutoRec(h)
                model.Fit(rank2, empty rank2, 3UL)
                Expect.isLessThan (rmse (model.Predict rank2) rank2.Ratings) 1e-2 "training RMSE -> 0"
        ]
        testList "MatrixFactorization" [
            testCase "PMF and biased MF with d = 3 and no regularisation fit a rank-2 matrix (rank 3 after centring) exactly" <| fun () ->
                for biases in [ false; true ] do
                    use model = new MatrixFactorization(MatrixFactorizationHyper(Factors = 3, Biases = biases, Regularization = 0.0, LearningRate = 0.02, Epochs = 2000, Patience = 2000))
                    model.Fit(rank2, empty rank2, 5UL)
                    let rmse = rmse (model.Predict rank2) rank2.Ratings
                    Expect.isLessThan rmse 0.05 (sprintf "training RMSE (biases %b)" biases)
            testCase "the same seed gives the same predictions" <| fun () ->
                let fit () =
                    use m = new MatrixFactorization(MatrixFactorizationHyper(Factors = 2, Epochs = 20))
                    m.Fit(rank2, empty rank2, 9UL)
                    m.Predict rank2
                Expect.sequenceEqual (fit ()) (fit ()) "deterministic"
            SharedData.testWithData "ml-100k" "on MovieLens-100K (one 90/10 split), biased MF and PMF beat the global mean by more than 0.15 RMSE" <| fun dir ->
                let all = RatingSet.FromLog(MovieLens100KReader.Read(Path.Combine(dir, "u.data")))
                let struct (train, test) = RatingSplit.Random(all, 0.9, 1UL)
                let struct (fit, validation) = RatingSplit.Random(train, 0.9, 2UL)
                let scale = RatingScale.Of(all)
                use mean = new GlobalMean()
                mean.Fit(fit, validation, 0UL)
                let floor = RatingEvaluation.Evaluate(mean, fit, test, scale).Rmse
                for biases in [ false; true ] do
                    use model = new MatrixFactorization(MatrixFactorizationHyper(Biases = biases, Regularization = 0.1))
                    model.Fit(fit, validation, 3UL)
                    let rmse = RatingEvaluation.Evaluate(model, fit, test, scale).Rmse
                    Expect.isLessThan rmse (floor - 0.15) (sprintf "biases %b: %.4f against the global mean's %.4f" biases rmse floor)
        ]
        testList "Runner and report" [
            SharedData.testWithData "ml-100k" "a rating run writes rating-run.json with every repeat, and running again skips it" <| fun dir ->
                withFolder (fun results ->
                    let e : Ratings.RatingExperiment =
                        { Id = "ratings-test"; Title = "test"; Repeats = 2; DefaultRating = 3f
                          Setups = [ { Dataset = "ml-100k"; TrainFraction = 0.9; ValidationFraction = 0.1 } ]
                          Models = fun _ -> [ { Group = "Global mean"; Model = RatingModels.GlobalMean } ] }
                    let o : Ratings.RatingOptions = { Results = results; DataDir = Path.GetDirectoryName dir; Only = None; Repeats = None; Threads = 1 }
                    let first = Ratings.execute o e ignore Threading.CancellationToken.None
                    Expect.equal first.Completed 1 "one run done"
                    let run = (Ratings.runs None e).Head
                    let record = Report.RatingTables.read (Path.Combine(run.Folder results, Ratings.runFile))
                    match record with
                    | Error why -> failtest why
                    | Ok r ->
                        Expect.equal r.Splits 2 "two repeats recorded"
                        Expect.isGreaterThan (fst r.TestRmse) 1.0 "the global mean's RMSE on MovieLens-100K is above 1"
                    let second = Ratings.execute o e ignore Threading.CancellationToken.None
                    Expect.equal (second.Completed, second.AlreadyFinished) (0, 1) "skipped when finished")
            testCase "the report chooses each row's grid point by validation RMSE and compares it with the published value" <| fun () ->
                withFolder (fun results ->
                    // Two PMF d=10 points at 80%: the lower validation RMSE has the higher test RMSE and is still chosen.
                    writeRun results "PMF d=10" "pmf" "aaaaaaaa" 0.8 0.930 [ 0.926; 0.924; 0.922; 0.920; 0.918 ]
                    writeRun results "PMF d=10" "pmf" "bbbbbbbb" 0.8 0.935 [ 0.900; 0.900; 0.900; 0.900; 0.900 ]
                    let md = text (Report.RatingTables.section results None id)
                    // Chosen: mean 0.922, s.e. sqrt(0.00001)/sqrt(5) = 0.0014; published 0.9223: Δ = −0.0003, within 2 s.e.
                    Expect.stringContains md "| PMF d=10 | 0.9220 ± 0.0014 | 0.7000 ± 0.0010 | 0.9300 | 0.9223 | −0.0003 | yes |" "the chosen row beside Table 3"
                    Expect.stringContains md "| mDA-CF d=10 | not run |" "published-only rows are listed"
                    Expect.stringContains md "Li, Kawale, Fu 2015 (mDA-CF), Table 3" "the source is named")
            testCase "the report checks AutoRec's ordering with paired differences over the shared splits" <| fun () ->
                withFolder (fun results ->
                    writeRun results "I-AutoRec" "i-autorec" "11111111" 0.9 0.88 [ 0.90; 0.91; 0.89 ]
                    writeRun results "Biased MF" "biased-mf" "22222222" 0.9 0.90 [ 0.92; 0.93; 0.91 ]
                    writeRun results "U-AutoRec" "u-autorec" "33333333" 0.9 0.92 [ 0.91; 0.94; 0.92 ]
                    let md = text (Report.RatingTables.section results None id)
                    Expect.stringContains md "I-AutoRec − Biased MF = -0.0200 ± 0.0000 (paired over 3 splits; lower by more than 2 s.e.)" "first gap"
                    Expect.stringContains md "Biased MF − U-AutoRec = -0.0033 ± 0.0067 (paired over 3 splits; lower, within 2 s.e.)" "second gap"
                    Expect.stringContains md "0.831 (ML-1M, ordering only)" "AutoRec's ML-1M number beside, without Δ")
        ]
    ]

/// mDA-CF's closed-form parts (spec §8) and MovieLens-100K's feature files.
module MdaCfTests =
    open Repro.Core.Models.MdaCf

    let private close (tolerance: float) (a: float[,]) (b: float[,]) (what: string) =
        for i in 0 .. a.GetLength 0 - 1 do
            for j in 0 .. a.GetLength 1 - 1 do
                Expect.floatClose { absolute = tolerance; relative = 0.0 } a.[i, j] b.[i, j] (sprintf "%s[%d,%d]" what i j)

    let private x = array2D [ [ 1.0; 0.0; 1.0; 1.0; 0.0 ]; [ 0.0; 1.0; 1.0; 0.0; 1.0 ]; [ 1.0; 1.0; 0.0; 1.0; 1.0 ] ]

    [<Tests>]
    let tests =
        testList "Ratings.MdaCf" [
            testCase "corruption 0 and lambda 0 give W = I when XXᵀ is invertible (spec §8)" <| fun () ->
                let u = array2D [ for _ in 1 .. 5 -> [ 0.3; -0.2 ] ]
                let w = MarginalizedDenoising.Mapping(x, u, Array2D.zeroCreate 3 2, 0.0, 0.0, 1e-9)
                close 1e-6 w (Array2D.init 3 3 (fun i j -> if i = j then 1.0 else 0.0)) "W"
            testCase "the expected scatter matches the mean over 10^5 explicit corruptions to 1e-2 (spec §8 says 10^4: its sampling error on this X is 0.0085, too close to 1e-2)" <| fun () ->
                let c = 0.4
                let cross, corrupted = MarginalizedDenoising.ExpectedScatter(x, c).ToTuple()
                let random = Repro.Core.Training.SeededRandom(17UL)
                let n = 100000
                let sumCross, sumCorrupted = Array2D.zeroCreate 3 3, Array2D.zeroCreate 3 3
                for _ in 1 .. n do
                    let xc = x |> Array2D.map (fun v -> if random.NextDouble() < c then 0.0 else v)
                    let a = MarginalizedDenoising.Multiply(x, MarginalizedDenoising.Transpose xc)
                    let b = MarginalizedDenoising.Multiply(xc, MarginalizedDenoising.Transpose xc)
                    for i in 0 .. 2 do
                        for j in 0 .. 2 do
                            sumCross.[i, j] <- sumCross.[i, j] + a.[i, j] / float n
                            sumCorrupted.[i, j] <- sumCorrupted.[i, j] + b.[i, j] / float n
                close 1e-2 cross sumCross "E[X Xcᵀ]"
                close 1e-2 corrupted sumCorrupted "E[Xc Xcᵀ]"
            testCase "Solve returns X with A X = B on a hand-checked system" <| fun () ->
                // [2 1; 1 3] X = [3; 5] -> X = [0.8; 1.4].
                let s = MarginalizedDenoising.Solve(array2D [ [ 2.0; 1.0 ]; [ 1.0; 3.0 ] ], array2D [ [ 3.0 ]; [ 5.0 ] ])
                close 1e-12 s (array2D [ [ 0.8 ]; [ 1.4 ] ]) "X"
            testCase "u.user becomes 28 binary features: age bin, gender and occupation" <| fun () ->
                withFile "u.user" "1|24|M|technician|85711\n2|53|F|other|94043\n" (fun path ->
                    let users = Repro.Core.Data.Readers.MovieLens100KFeatures.ReadUsers path
                    let one = users.["1"]
                    Expect.equal one.Length 28 "28 features"
                    Expect.equal (Array.sum one) 3f "three ones"
                    Expect.equal one.[0] 1f "age 24: first bin"
                    Expect.equal one.[5] 1f "male"
                    Expect.equal one.[7 + 19] 1f "technician is the 20th occupation"
                    Expect.equal users.["2"].[3] 1f "age 53: fourth bin (45-54)")
            BadInputTests.bad "u.user: an unknown occupation is rejected" "u.user" "1|24|M|technician|85711\n2|53|F|astronaut|94043\n"
                Repro.Core.Data.Readers.MovieLens100KFeatures.ReadUsers 2L "expected one of the 21 occupations, found \"astronaut\""
            BadInputTests.bad "u.item: a genre flag other than 0 or 1 is rejected" "u.item"
                "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|2\n"
                Repro.Core.Data.Readers.MovieLens100KFeatures.ReadItems 1L "expected a genre flag 0 or 1 in field 24"
            testCase "mDA-CF fits a small rank-2 matrix with features better than the mean" <| fun () ->
                let data = RatingSet([| for u in 0 .. 5 do for i in 0 .. 3 -> u |], [| for _ in 0 .. 5 do for i in 0 .. 3 -> i |],
                                     [| for u in 0 .. 5 do for i in 0 .. 3 -> float32 ((u % 3) + 1) * float32 (i % 2 + 1) |], 6, 4)
                let users = [| for u in 0 .. 5 -> [| (if u % 3 = 0 then 1f else 0f); (if u % 3 = 1 then 1f else 0f) |] |]
                let items = [| for i in 0 .. 3 -> [| (if i % 2 = 0 then 1f else 0f) |] |]
                use model = new MdaCf(MdaCfHyper(Factors = 3, LearningRate = 0.02, Epochs = 2000, Patience = 2000), users, items)
                model.Fit(data, RatingSet([||], [||], [||], 6, 4), 4UL)
                let rmse = RatingMetrics.Rmse(ReadOnlySpan(model.Predict data), ReadOnlySpan data.Ratings)
                Expect.isLessThan rmse 0.1 "training RMSE"
            testCase "mSDA-CF's untied layer on a hand-checked case: W = [14 4; 4 14]/15 at corruption 0.5, output tanh(W X)" <| fun () ->
                // X = [1 0 1; 0 1 1]: XXᵀ = [2 1; 1 2], E[X Xcᵀ] = [1 .5; .5 1], E[Xc Xcᵀ] = [1 .25; .25 1],
                // W = E[X Xcᵀ] E[Xc Xcᵀ]⁻¹ = [14 4; 4 14] / 15.
                let x2 = array2D [ [ 1.0; 0.0; 1.0 ]; [ 0.0; 1.0; 1.0 ] ]
                let t (v: float) = Math.Tanh v
                let expected = array2D [ [ t (14.0 / 15.0); t (4.0 / 15.0); t (18.0 / 15.0) ]; [ t (4.0 / 15.0); t (14.0 / 15.0); t (18.0 / 15.0) ] ]
                close 1e-12 (MarginalizedDenoising.Stack(x2, 1, 0.5, 0.0)) expected "h1"
                close 0.0 (MarginalizedDenoising.Stack(x2, 0, 0.5, 0.0)) x2 "no untied layer leaves X"
            testCase "a 3-layer mSDA-CF predicts as mDA-CF on the features its first layer outputs" <| fun () ->
                let data = RatingSet([| for u in 0 .. 5 do for i in 0 .. 3 -> u |], [| for _ in 0 .. 5 do for i in 0 .. 3 -> i |],
                                     [| for u in 0 .. 5 do for i in 0 .. 3 -> float32 ((u * 7 + i * 3) % 5 + 1) |], 6, 4)
                let users = [| for u in 0 .. 5 -> [| (if u % 3 = 0 then 1f else 0f); (if u % 2 = 1 then 1f else 0f); 1f |] |]
                let items = [| for i in 0 .. 3 -> [| (if i % 2 = 0 then 1f else 0f); (if i < 2 then 1f else 0f) |] |]
                let make layers = MdaCfHyper(Factors = 2, LearningRate = 0.02, Lambda = 1.0, Corruption = 0.4, Epochs = 50, Patience = 50, Layers = layers)
                let hyper = make 1
                let lifted (rows: float32[][]) =
                    let h = MarginalizedDenoising.Stack(Array2D.init rows.[0].Length rows.Length (fun f k -> float rows.[k].[f]), 1, hyper.Corruption, hyper.Ridge)
                    [| for k in 0 .. rows.Length - 1 -> [| for f in 0 .. h.GetLength 0 - 1 -> float32 h.[f, k] |] |]
                let none = RatingSet([||], [||], [||], 6, 4)
                use stacked = new MdaCf(make 3, users, items)
                use single = new MdaCf(hyper, lifted users, lifted items)
                stacked.Fit(data, none, 9UL)
                single.Fit(data, none, 9UL)
                let a, b = stacked.Predict data, single.Predict data
                for k in 0 .. a.Length - 1 do Expect.floatClose { absolute = 1e-4; relative = 0.0 } (float a.[k]) (float b.[k]) (sprintf "prediction %d" k)
                use plain = new MdaCf(hyper, users, items)
                plain.Fit(data, none, 9UL)
                Expect.isGreaterThan (Array.map2 (fun (p: float32) q -> abs (p - q)) (plain.Predict data) a |> Array.max) 1e-3f "the stacked layer changes the fit"
            testCase "regularising once per epoch, where every user and item has n ratings, is each-rating regularisation with beta/n (lambda 0: lambda also enters W and P)" <| fun () ->
                let data = RatingSet([| for u in 0 .. 3 do for i in 0 .. 3 -> u |], [| for _ in 0 .. 3 do for i in 0 .. 3 -> i |],
                                     [| for u in 0 .. 3 do for i in 0 .. 3 -> float32 ((u + 2 * i) % 5 + 1) |], 4, 4)
                let users = [| for u in 0 .. 3 -> [| (if u < 2 then 1f else 0f); 1f |] |]
                let items = [| for i in 0 .. 3 -> [| (if i % 2 = 0 then 1f else 0f) |] |]
                let make beta lambda reading = MdaCfHyper(Factors = 2, LearningRate = 0.05, Beta = beta, Lambda = lambda, Epochs = 40, Patience = 40, Regularization = reading)
                let none = RatingSet([||], [||], [||], 4, 4)
                use once = new MdaCf(make 0.4 0.0 MdaCfRegularization.OncePerEpoch, users, items)
                use each = new MdaCf(make 0.1 0.0 MdaCfRegularization.EachRating, users, items)
                use full = new MdaCf(make 0.4 0.0 MdaCfRegularization.EachRating, users, items)
                for m in [ once; each; full ] do m.Fit(data, none, 3UL)
                let a, b = once.Predict data, each.Predict data
                for k in 0 .. a.Length - 1 do Expect.floatClose { absolute = 1e-4; relative = 0.0 } (float a.[k]) (float b.[k]) (sprintf "prediction %d" k)
                Expect.isGreaterThan (Array.map2 (fun (p: float32) q -> abs (p - q)) (full.Predict data) a |> Array.max) 1e-3f "the weight 1/n changes the fit"
            testCase "an even layer count is rejected: there is no middle layer to tie" <| fun () ->
                let e = Helpers.raises<ArgumentOutOfRangeException> (fun () -> MdaCfHyper(Layers = 2).Validate())
                Expect.stringContains e.Message "layers must be odd" "message"
            testCase "mSDA-CF is listed as msda-cf, and mDA-CF keeps the settings hash of its earlier run folders" <| fun () ->
                Expect.equal (RatingModels.name (RatingModels.MdaCf(MdaCfHyper(Layers = 3)))) "msda-cf" "stacked name"
                Expect.isSome (RatingModels.tryFind "msda-cf") "catalogue entry"
                Expect.equal (RatingModels.name (RatingModels.MdaCf(MdaCfHyper()))) "mda-cf" "one layer is mDA-CF"
                // results/ratings/ml-100k/train80/mda-cf-eaa8b3d7 (d = 10, corruption 0.3).
                Expect.equal (RatingModels.settingsHash (RatingModels.MdaCf(MdaCfHyper(Factors = 10, Corruption = 0.3)))) "eaa8b3d7" "hash"
        ]
