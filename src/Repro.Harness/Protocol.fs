namespace Repro.Harness

/// How a run's data is split and evaluated. The command line and run records spell it by Name.
type Protocol =
    /// The paper's: held-out users' fold-in items predict their targets (strong generalisation).
    | Strong
    /// A dataset's fixed train/test split, as LightGCN: every user trains; validation is carved from
    /// 10% of each training row.
    | Weak
    /// Weak's run on the carve for selection, then the same model retrained for the selected number
    /// of epochs on the whole training rows, its last epoch tested.
    | WeakRefit
    /// LOCA's (Choi et al. 2021): users with >= 10 events, each user's last 5 by time are test
    /// targets, the 5 before them validation targets, the rest trains; every user trains.
    | LeaveLastByTime
    /// LeaveLastByTime's run for selection, then the same model trained again, at what was selected,
    /// on the training rows plus the 5 validation events per user (which LOCA's models train on), its
    /// last epoch tested.
    | LeaveLastByTimeRefit
    /// CDL's (Wang, Wang, Yeung 2015) fixed CiteULike-a split with this many training items per user
    /// (1: sparse, 10: dense), the rest test; every user trains on all of them; recall@50..300, AP@500.
    | CdlSplit of trainingItems: int

    /// "strong", "weak", "weak-refit", "leave-5-by-time", "leave-5-by-time-refit", "cdl-1" or "cdl-10".
    member p.Name =
        match p with
        | Strong -> "strong"
        | Weak -> "weak"
        | WeakRefit -> "weak-refit"
        | LeaveLastByTime -> "leave-5-by-time"
        | LeaveLastByTimeRefit -> "leave-5-by-time-refit"
        | CdlSplit p -> sprintf "cdl-%d" p

    /// A refit protocol's selection protocol (the run whose validation chooses what the refit trains
    /// again); None for a protocol that tests the run it selected on.
    member p.SelectedUnder =
        match p with
        | WeakRefit -> Some Weak
        | LeaveLastByTimeRefit -> Some LeaveLastByTime
        | Strong | Weak | LeaveLastByTime | CdlSplit _ -> None

[<RequireQualifiedAccess>]
module Protocol =
    /// Every protocol, in the order help texts list them.
    let all = [ Strong; Weak; WeakRefit; LeaveLastByTime; LeaveLastByTimeRefit; CdlSplit 1; CdlSplit 10 ]

    /// The protocol spelt <paramref name="name"/>; an error lists the allowed names.
    let parse (name: string) : Result<Protocol, string> =
        match all |> List.tryFind (fun p -> p.Name = name.Trim().ToLowerInvariant()) with
        | Some p -> Ok p
        | None -> Error(sprintf "--protocol takes %s; got '%s'" (all |> List.map (fun p -> p.Name) |> String.concat ", ") name)
