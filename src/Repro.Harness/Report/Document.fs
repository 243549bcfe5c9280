/// The report as a list of blocks (headings, text, tables, figures), so that the markdown file and
/// the HTML report say the same things from one description.
module Repro.Harness.Report.Document

open System.Text

type Block =
    | Heading of level: int * text: string
    /// Markdown-flavoured text: `code` and [links](to) are kept as written in markdown.
    | Paragraph of string
    | Bullets of string list
    | Table of header: string list * rows: string list list
    | Figure of Figures.Figure

/// The blocks as markdown; figures are images at <paramref name="figureLink"/> of their file name.
let markdown (figureLink: string -> string) (blocks: Block list) : string =
    let out = StringBuilder()
    for block in blocks do
        match block with
        | Heading(level, text) -> out.Append(String.replicate level "#").Append(' ').Append(text).Append("\n\n") |> ignore
        | Paragraph text -> out.Append(text).Append("\n\n") |> ignore
        | Bullets items ->
            for item in items do out.Append("- ").Append(item).Append('\n') |> ignore
            out.Append('\n') |> ignore
        | Table(header, rows) -> out.Append(Tables.markdownTable (header, rows)).Append('\n') |> ignore
        | Figure f -> out.Append(sprintf "![%s](%s)\n\n" f.Caption (figureLink f.FileName)) |> ignore
    out.ToString().TrimEnd('\n') + "\n"
