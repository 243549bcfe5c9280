/// The command line, as Argu unions. Unknown arguments and bad values print the usage text and exit 2.
module Repro.Cli.Arguments

open Argu
open Repro.Harness

/// The catalogue's models for help texts: "mult-vae, mult-dae, ... (trained), or popularity, ... (fitted once)".
let private modelList () =
    let names fitted = Models.all |> List.filter (fun e -> e.IsFitted = fitted) |> List.map (fun e -> e.Name) |> String.concat ", "
    sprintf "%s (trained), or %s (fitted once); 'repro models' lists them" (names false) (names true)

type RunArgs =
    | [<Mandatory; CustomCommandLine("--experiment"); AltCommandLine("-e")>] Experiment_Id of id: string
    | Only of pattern: string
    | Dry_Run
    | Seeds of count: int
    | Results of dir: string
    | Threads of count: int
    | Part of step: string
    | Parts of count: int
    | Workers of count: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Parts _ -> "do each selected LOCA run (loca-ease, loca-vae) in this many parts on this machine: the global step, then the parts (each a child process doing --part K/N, --workers at once), then the combine step; twice under a refit protocol. A stopped part goes on from its checkpoint."
            | Workers _ -> "with --parts: how many parts run at once (default 1)."
            | Part _ -> "one step of a LOCA run (loca-ease, loca-vae) split into parts, each its own process: 'global' (the global model, embeddings and anchors), then 'K/N' (the local models of the K-th of N ranges of anchors; parts run in any order or at once), then 'combine' (adds the parts and writes the run's metrics). 'repro plan --parts N' writes the steps as Slurm jobs."
            | Experiment_Id _ -> "the experiment (see 'repro experiments')."
            | Only _ -> "only runs whose id (DATASET/MODEL-HASH-sSEED) matches: a prefix such as 'ml-100k' or 'ml-100k/mult-vae', an exact id, or a glob with '*'; comma-separated for several."
            | Dry_Run -> "list the runs, their state and estimated cost; run nothing."
            | Seeds _ -> "seeds per (dataset, model settings) instead of the experiment's own."
            | Results _ -> "results folder (default: results)."
            | Threads _ -> "threads per run: libtorch's, evaluation's and every model's parallel loops (default: all cores)."

type PlanArgs =
    | [<Mandatory; CustomCommandLine("--experiment"); AltCommandLine("-e")>] Experiment_Id of id: string
    | [<Mandatory>] Format of kind: string
    | [<AltCommandLine("-o")>] Output of file: string
    | Only of pattern: string
    | Seeds of count: int
    | Results of dir: string
    | Threads of count: int
    | Repro of command: string
    | Parts of count: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Parts _ -> "split each LOCA run (loca-ease, loca-vae) into this many parts: its global step, then one job (Slurm: an array task) per part, then a combine job that waits for them ('repro run --part')."
            | Experiment_Id _ -> "the experiment (see 'repro experiments')."
            | Format _ -> "slurm (a job-array script, one task per pending run) or shell (one command per pending run, for GNU parallel)."
            | Output _ -> "write the plan to this file (default: print it)."
            | Only _ -> "only runs whose id matches (as 'repro run --only')."
            | Seeds _ -> "seeds per (dataset, model settings) instead of the experiment's own."
            | Results _ -> "results folder the runs write to (default: results)."
            | Threads _ -> "threads per run (default 4; Slurm: --cpus-per-task)."
            | Repro _ -> "how the plan's commands start the CLI (default: dotnet run --project src/Repro.Cli -c Release --no-build --)."

type CheckArgs =
    | [<Mandatory>] Results of dir: string
    | Floors of file: string
    | [<CustomCommandLine("--experiment")>] Experiment_Id of id: string
    | Record
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Results _ -> "the results folder the experiment ran into."
            | Floors _ -> "the floors file (default: results/regression-floors.json)."
            | Experiment_Id _ -> "the experiment whose runs are checked (default: smoke)."
            | Record -> "write the floors file from these runs instead of checking against it."

type DataFetchArgs =
    | [<Mandatory; AltCommandLine("-d")>] Dataset of name: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dataset _ -> "dataset to download (ml-20m, ml-25m, ml-1m, ml-100k, ml-latest-small, msd; netflix explains where to put its files)."

/// Options of `data stats` and `data prepare`: which dataset, how many held-out users, and the
/// preprocessing knobs (each defaults to the dataset's own, the paper's for its three datasets).
type SplitArgs =
    | [<Mandatory; AltCommandLine("-d")>] Dataset of name: string
    | Heldout of users: int
    | Min_Rating of rating: string
    | Min_Items_Per_User of items: int
    | Min_Users_Per_Item of users: int
    | File of path: string
    | Columns of user_item_value: string
    | Delimiter of text: string
    | Header
    | Text_Ids
    | Export_Pro_Sg of dir: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dataset _ -> "dataset name (see 'repro data list'), or 'custom' for a delimited file given by --file and --columns."
            | Heldout _ -> "held-out users per set (validation and test each); default: the dataset's own (required for custom)."
            | Min_Rating _ -> "keep events whose value is > this ('none' keeps all); default: the dataset's (3.5 for ratings)."
            | Min_Items_Per_User _ -> "keep users with at least this many events; default: the dataset's (5; MSD 20)."
            | Min_Users_Per_Item _ -> "keep items with at least this many events, counted before the user filter; default: the dataset's (0; MSD 200)."
            | File _ -> "custom only: the delimited file of events."
            | Columns _ -> "custom only: user,item[,value] columns, as 0-based indexes or header names."
            | Delimiter _ -> "custom only: the field delimiter (default ','; 'tab' for a tab)."
            | Header -> "custom only: line 1 is a header."
            | Text_Ids -> "custom only: user and item ids are text, not integers."
            | Export_Pro_Sg _ -> "prepare only: also write the split in the notebook's pro_sg layout to this folder."

type DataArgs =
    | [<SubCommand; CliPrefix(CliPrefix.None)>] List
    | [<CliPrefix(CliPrefix.None)>] Fetch of ParseResults<DataFetchArgs>
    | [<CliPrefix(CliPrefix.None)>] Stats of ParseResults<SplitArgs>
    | [<CliPrefix(CliPrefix.None)>] Prepare of ParseResults<SplitArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | List -> "list the known datasets, where their files go and whether they are present."
            | Fetch _ -> "download a dataset into the data folder (resumable, verified)."
            | Stats _ -> "print a dataset's statistics after the paper's preprocessing, next to the paper's Table 1."
            | Prepare _ -> "build (or load from cache) the strong-generalisation split; optionally export it."

/// Options of `train` and `tune`: one model (or its grid) on one dataset into a folder. --grid is
/// tune's only; the commands refuse options that do not apply to them.
type ModelArgs =
    | [<Mandatory; AltCommandLine("-d")>] Dataset of name: string
    | [<Mandatory; AltCommandLine("-m")>] Model of name: string
    | Likelihood of kind: string
    | Epochs of count: int
    | Seed of seed: uint64
    | Set of assignment: string
    | Split of spec: string
    | Protocol of kind: string
    | Heldout of users: int
    | Threads of count: int
    | Grid of name: string
    | [<Mandatory; AltCommandLine("-o")>] Out of dir: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dataset _ -> "dataset name (see 'repro data list'); with --split, a label for the imported split."
            | Model _ -> modelList () + "."
            | Likelihood _ -> "models with a likelihood setting (mult-vae, mult-dae): multinomial (default), gaussian or logistic; the same as --set likelihood=NAME."
            | Epochs _ -> "trained models only: training epochs (default: the model's, 200 as the paper); the same as --set epochs=N."
            | Seed _ -> "seed of initialisation, shuffling, dropout and noise (default 98765)."
            | Set _ -> "a hyperparameter as name=value (repeatable), e.g. --set anneal-cap=0.3; unknown names are errors ('repro models' lists them). tune: applied on top of the grid, so a grid setting fixed this way stops varying, and name=v1,v2 keeps only those values (a reduced grid)."
            | Split _ -> "pro-sg:DIR uses a split in the notebook's pro_sg layout instead of building one."
            | Protocol _ -> "strong (default, the paper's), weak (the dataset's fixed train/test split, as LightGCN; LightGCN metrics @20 added; selection on 10% of each training row carved out), weak-refit (weak's run into OUT/selection, then the same model trained again on the whole training rows: a trained model for its best epoch count, last epoch tested; a fitted model at its settings), leave-5-by-time (LOCA's split: last 5 events by time test, the 5 before validation; datasets with timestamps), leave-5-by-time-refit (its run into OUT/selection, then trained again with the validation events, as weak-refit), cdl-1 or cdl-10 (CDL's CiteULike-a splits)."
            | Heldout _ -> "held-out users per set for the strong protocol (default: the dataset's own)."
            | Threads _ -> "threads: libtorch's, evaluation's and every model's parallel loops (default: all cores); results are reproducible for a fixed count."
            | Grid _ -> "tune only: which grid, paper (default; each model's grid in 'repro models')."
            | Out _ -> "train: the run folder (settings, seed, commit, per-epoch log, weights, validation and test metrics; an interrupted run here resumes, a finished one is not run again). tune: the tuning folder, one run folder per point (<model>-<settingsHash>), tune.md and tune.json."

type RecommendArgs =
    | [<Mandatory>] Run of dir: string
    | [<Mandatory>] Items of ids: string
    | [<AltCommandLine("-n")>] Count of n: int
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Run _ -> "a run folder written by 'repro train' (any model) or one point of 'repro tune'."
            | Items _ -> "the new user's items, as the dataset's original ids: ID,ID,..."
            | Count _ -> "how many recommendations (default 10)."

type SummarizeArgs =
    | [<MainCommand; Mandatory>] Runs of folders: string list
    | [<AltCommandLine("-o")>] Output of file: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Runs _ -> "run folders written by 'repro train' (several seeds of the same models)."
            | Output _ -> "write the markdown table to this file (default: print it)."

/// Case names are unique to this union (the flags are set by CustomCommandLine) so that they do not
/// shadow other commands' cases of the same flag name.
type ReportArgs =
    | [<CustomCommandLine("--experiment")>] Report_Experiment of id: string
    | [<CustomCommandLine("--results")>] Report_Results of dir: string
    | [<CustomCommandLine("--output"); AltCommandLine("-o")>] Report_Output of file: string
    | [<CustomCommandLine("--figures")>] Report_Figures of dir: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Report_Experiment _ -> "only this experiment's runs (default: every run under --results)."
            | Report_Results _ -> "the results folder to read run folders from (default: results)."
            | Report_Output _ -> "the markdown file to write (default: paper-tables.md); report.html is written next to it."
            | Report_Figures _ -> "where the SVG figures go (default: figures/ next to the output file)."

type BenchArgs =
    | [<MainCommand; Mandatory>] Suite of suite: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Suite _ -> "which benchmark: data (parse, preprocess, split, cache), eval (top-k metrics) vae (Mult-VAE/DAE training steps, fp32 against bf16 products, the gmm and VampPrior priors against the standard one), vae-precision (only the fp32 against bf16 and priors part of vae), recvae (RecVAE encoder and decoder passes, its epoch against a Mult-VAE epoch in the same run), baselines (EASE, WMF, SLIM fits), cdae (CDAE training steps and fold-in), slim-full (SLIM fitting every column at ML-20M shape, about 4 minutes) or slim-msd (SLIM at MSD's shape, 1,024 columns extrapolated; needs about 15 GB); both also time the solver against its whole-residual baseline on 1,024 columns; loca (LOCA at ML-20M's shape: one local EASE's time and peak memory, one local Mult-VAE epoch, the combination, each extrapolated to 300 local models); estimates (the cost model's estimates against the training time the run folders under results/ recorded, per model and thread count)."

type ReproduceArgs =
    | Datasets of names: string list
    | Results of dir: string
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Datasets _ -> "only these datasets (default: ml-20m, netflix, msd)."
            | Results _ -> "results folder (default: results)."

type CliArgs =
    | [<Inherit>] Data_Dir of dir: string
    | [<CliPrefix(CliPrefix.None)>] Data of ParseResults<DataArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<ModelArgs>
    | [<CliPrefix(CliPrefix.None)>] Tune of ParseResults<ModelArgs>
    | [<CliPrefix(CliPrefix.None)>] Recommend of ParseResults<RecommendArgs>
    | [<CliPrefix(CliPrefix.None)>] Summarize of ParseResults<SummarizeArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<BenchArgs>
    | [<CliPrefix(CliPrefix.None)>] Report of ParseResults<ReportArgs>
    | [<CliPrefix(CliPrefix.None)>] Reproduce of ParseResults<ReproduceArgs>
    | [<SubCommand; CliPrefix(CliPrefix.None)>] Experiments
    | [<SubCommand; CliPrefix(CliPrefix.None)>] Models
    | [<CustomCommandLine("run")>] Run_Experiment of ParseResults<RunArgs>
    | [<CliPrefix(CliPrefix.None)>] Plan of ParseResults<PlanArgs>
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Data_Dir _ -> "data folder (default: $REPRO_DATA_DIR, else ./data)."
            | Data _ -> "datasets: list, fetch, stats, prepare."
            | Train _ -> "train or fit one model ('repro models' lists them) and report its test metrics."
            | Tune _ -> "run a model's hyperparameter grid, select by validation NDCG@100, report the chosen point's test metrics."
            | Recommend _ -> "top-N items for a new user from a trained run."
            | Summarize _ -> "mean and across-seed standard error of test metrics over run folders, as markdown."
            | Bench _ -> "benchmarks that print figures."
            | Report _ -> "paper-tables.md, SVG figures and an offline report.html, regenerated from the run folders under results/."
            | Reproduce _ -> "run the paper experiment on every paper dataset present or downloadable (else local, else synthetic data)."
            | Experiments -> "list the experiments with their run counts and estimated cost."
            | Models -> "list the models: name, label, trained or fitted, settings with their paper values, grid size."
            | Run_Experiment _ -> "run an experiment's runs once each into results/; finished runs are skipped, interrupted ones resume."
            | Plan _ -> "write a Slurm job array or a command list of an experiment's pending runs."
            | Check _ -> "compare an experiment's test metrics with regression floors (CI)."
