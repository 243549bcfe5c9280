/// One self-contained interactive HTML report: the same blocks as the markdown, with each figure as
/// a Plotly.NET chart. plotly.js is inlined from the copy Plotly.NET embeds (2.28.0), so the file
/// opens offline and loads nothing from the network. Each chart is drawn into a numbered div from
/// GenericChart.toJson (Plotly.NET's own HTML names divs by random GUIDs, which would make two
/// reports of the same results differ).
module Repro.Harness.Report.HtmlReport

open System
open System.IO
open System.Text
open System.Text.RegularExpressions
open Plotly.NET
open Repro.Harness.Report.Charts
open Repro.Harness.Report.Document

/// plotly.js as Plotly.NET ships it (the source PlotlyJSReference.Full inlines).
let plotlyJs () : string =
    let assembly = typeof<GenericChart>.Assembly
    let name =
        assembly.GetManifestResourceNames()
        |> Array.tryFind (fun n -> n.StartsWith "Plotly.NET.plotly-" && n.EndsWith ".min.js")
    match name with
    | None -> failwith "Plotly.NET carries no embedded plotly.js (expected a resource Plotly.NET.plotly-*.min.js)"
    | Some name ->
        use stream = assembly.GetManifestResourceStream name
        use reader = new StreamReader(stream, Encoding.UTF8)
        reader.ReadToEnd()

let private figureWidth, figureHeight = 900, 500

/// The chart as a Plotly.NET chart: lines with error bars, or grouped columns with error bars and
/// the reference numbers as markers.
let toPlotly (chart: Charts.Chart) : GenericChart =
    let colour i = Color.fromString (Svg.colour i)
    match chart with
    | Lines l ->
        l.Series
        |> List.mapi (fun i s ->
            let line = Chart.Line(x = (s.Points |> List.map _.X), y = (s.Points |> List.map _.Y), Name = s.Name, LineColor = colour i)
            if s.Points |> List.exists (fun p -> p.Error.IsSome) then
                line |> Chart.withYErrorStyle(Array = (s.Points |> List.map (fun p -> defaultArg p.Error 0.0)))
            else line)
        |> Chart.combine
        |> Chart.withTitle l.Title
        |> Chart.withXAxisStyle(TitleText = l.XLabel)
        |> Chart.withYAxisStyle(TitleText = l.YLabel)
        |> Chart.withSize(figureWidth, figureHeight)
    | Bars b ->
        let columns =
            b.Series |> List.mapi (fun i s ->
                let present = List.zip b.Categories s.Bars |> List.choose (fun (c, bar) -> bar |> Option.map (fun v -> c, v))
                Chart.Column(values = (present |> List.map (fun (_, v) -> v.Value)), Keys = (present |> List.map fst), Name = s.Name, MarkerColor = colour i)
                |> Chart.withYErrorStyle(Array = (present |> List.map (fun (_, v) -> defaultArg v.Error 0.0))))
        let references =
            b.Series |> List.choose (fun s ->
                let marks = List.zip b.Categories s.Bars |> List.choose (fun (c, bar) -> bar |> Option.bind (fun v -> v.Reference |> Option.map (fun r -> c, r)))
                if marks.IsEmpty then None
                else Some(Chart.Point(x = (marks |> List.map fst), y = (marks |> List.map snd), Name = sprintf "%s: %s" b.ReferenceLabel s.Name)))
        columns @ references
        |> Chart.combine
        |> Chart.withTitle b.Title
        |> Chart.withXAxisStyle(TitleText = b.XLabel)
        |> Chart.withYAxisStyle(TitleText = b.YLabel)
        |> Chart.withLayoutStyle(BarMode = StyleParam.BarMode.Group)
        |> Chart.withSize(figureWidth, figureHeight)

let private escape (s: string) = Svg.escape s

// Markdown's `code`, **strong**, *emphasis* and [text](link) as HTML, after escaping.
let private inline' (text: string) =
    let escaped = escape text
    let code = Regex.Replace(escaped, "`([^`]*)`", "<code>$1</code>")
    let strong = Regex.Replace(code, @"\*\*([^*]+)\*\*", "<strong>$1</strong>")
    let em = Regex.Replace(strong, @"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", "<em>$1</em>")
    Regex.Replace(em, @"\[([^\]]*)\]\(([^)]*)\)", "<a href=\"$2\">$1</a>")

/// The report as one HTML document.
let render (title: string) (blocks: Block list) : string =
    let out = StringBuilder()
    let js = plotlyJs ()
    if js.Contains "</script" then failwith "the embedded plotly.js contains '</script' and cannot be inlined"
    out.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n") |> ignore
    out.Append(sprintf "<title>%s</title>\n" (escape title)) |> ignore
    out.Append("<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f4f4f4}code{background:#f4f4f4;padding:0 3px}</style>\n") |> ignore
    out.Append("<script type=\"text/javascript\">").Append(js).Append("</script>\n</head>\n<body>\n") |> ignore
    let mutable figureNumber = 0
    for block in blocks do
        match block with
        | Heading(level, text) -> out.Append(sprintf "<h%d>%s</h%d>\n" level (inline' text) level) |> ignore
        | Paragraph text -> out.Append(sprintf "<p>%s</p>\n" (inline' text)) |> ignore
        | Bullets items ->
            out.Append("<ul>\n") |> ignore
            for item in items do out.Append(sprintf "<li>%s</li>\n" (inline' item)) |> ignore
            out.Append("</ul>\n") |> ignore
        | Table(header, rows) ->
            out.Append("<table>\n<tr>") |> ignore
            for h in header do out.Append(sprintf "<th>%s</th>" (inline' h)) |> ignore
            out.Append("</tr>\n") |> ignore
            for row in rows do
                out.Append("<tr>") |> ignore
                for c in row do out.Append(sprintf "<td>%s</td>" (inline' c)) |> ignore
                out.Append("</tr>\n") |> ignore
            out.Append("</table>\n") |> ignore
        | Figure f ->
            figureNumber <- figureNumber + 1
            let id = sprintf "figure-%d" figureNumber
            let json = GenericChart.toJson (toPlotly f.Chart)
            out.Append(sprintf "<figure>\n<div id=\"%s\" style=\"width:%dpx;height:%dpx\"></div>\n" id figureWidth figureHeight) |> ignore
            out.Append(sprintf "<script type=\"text/javascript\">(function(){var figure = %s; Plotly.newPlot(\"%s\", figure.data, figure.layout, figure.config);})();</script>\n" (json.Replace("</", "<\\/")) id) |> ignore
            out.Append(sprintf "<figcaption>%s</figcaption>\n</figure>\n" (inline' f.Caption)) |> ignore
    out.Append("</body>\n</html>\n").ToString()

/// Script elements that load a file (src=...), which an offline report must not have.
let externalScripts (html: string) : string list =
    [ for m in Regex.Matches(html, "<script\\b[^>]*\\bsrc\\s*=\\s*[\"']?([^\"'\\s>]+)", RegexOptions.IgnoreCase) -> m.Groups.[1].Value ]
