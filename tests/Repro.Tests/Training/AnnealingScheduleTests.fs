/// The KL weight schedule: beta = min(cap, updates / total), the counter kept across epochs.
module Repro.Tests.AnnealingScheduleTests

open Expecto
open Repro.Core.Training
open Repro.Core.Models.MultVae

[<Tests>]
let annealing =
    testList "Training.AnnealingSchedule" [
        testCase "beta is min(cap, updates / total): 0 at 0, 0.1 at 20,000, capped at 0.2 from 40,000" <| fun () ->
            let s = MultVaeHyper.Paper.NewAnnealingSchedule 234
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 0L) 0.0 "at 0"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 20_000L) 0.1 "at 20,000"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 40_000L) 0.2 "at 40,000"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 100_000L) 0.2 "at 100,000 (capped)"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 1_000_000L) 0.2 "long after"

        testCase "the update counter carries across epochs (234 updates per ML-20M epoch)" <| fun () ->
            let s = MultVaeHyper.Paper.NewAnnealingSchedule 234
            let betasAtEpochStart =
                [ for _ in 1 .. 3 do
                    let b = s.Beta
                    for _ in 1 .. 234 do s.Advance()
                    yield b ]
            Expect.equal s.Updates 702L "three epochs of updates"
            Expect.floatClose Accuracy.veryHigh betasAtEpochStart.[1] (234.0 / 200_000.0) "epoch 2 starts where epoch 1 ended"
            Expect.floatClose Accuracy.veryHigh betasAtEpochStart.[2] (468.0 / 200_000.0) "epoch 3 continues the ramp"
    
        testCase "anneal-epochs replaces the total: 10 epochs of 25 updates reach beta 1 at update 250, cap 0.5 at 125" <| fun () ->
            let s = MultVaeHyper(AnnealEpochs = 10, AnnealCap = 0.5).NewAnnealingSchedule 25
            Expect.equal s.TotalSteps 250L "10 x 25 updates, not the 200,000 of total-anneal-steps"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 25L) 0.1 "one epoch in"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 125L) 0.5 "the cap, half-way"
            Expect.floatClose Accuracy.veryHigh (s.BetaAt 250L) 0.5 "capped"

        testCase "anneal-epochs 0 keeps total-anneal-steps whatever the epoch length; negative is refused" <| fun () ->
            Expect.equal (MultVaeHyper.Paper.NewAnnealingSchedule 2).TotalSteps 200_000L "paper"
            Expect.equal (Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper(AnnealEpochs = 4).NewAnnealingSchedule 3).TotalSteps 12L "mixture prior too"
            Expect.throws (fun () -> MultVaeHyper(AnnealEpochs = -1).Validate()) "negative"
    ]
