/// A small SVG writer for the report's static figures: axes with ticks, lines, grouped bars, error
/// bars, reference marks and a legend. Plain text out, no native dependencies; the same chart gives
/// the same bytes. Elements carry classes ("series", "line", "bar", "error-bar", "reference",
/// "legend-entry") so tests and style sheets can find them.
module Repro.Harness.Report.Svg

open System
open System.Globalization
open System.Text
open Repro.Harness.Report.Charts

let width = 800.0
let height = 440.0
let private left, right, top, bottom = 70.0, 200.0, 40.0, 55.0

let private palette = [| "#1f77b4"; "#ff7f0e"; "#2ca02c"; "#d62728"; "#9467bd"; "#8c564b"; "#e377c2"; "#7f7f7f"; "#bcbd22"; "#17becf" |]

/// The colour of the i-th series (shared with the HTML report).
let colour (i: int) = palette.[i % palette.Length]

let private inv = CultureInfo.InvariantCulture
let private n (x: float) = x.ToString("0.##", inv)

/// Text escaped for XML content and attribute values.
let escape (s: string) =
    s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&apos;")

/// About five round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi].
let ticks (lo: float) (hi: float) : float list =
    let lo, hi = if hi > lo then lo, hi elif lo = 0.0 then 0.0, 1.0 else lo - abs lo * 0.1, hi + abs hi * 0.1
    let raw = (hi - lo) / 5.0
    let magnitude = 10.0 ** floor (log10 raw)
    let step = [ 1.0; 2.0; 5.0; 10.0 ] |> List.map (fun m -> m * magnitude) |> List.find (fun s -> s >= raw)
    let first = floor (lo / step) * step
    let last = ceil (hi / step) * step
    [ for i in 0 .. int (round ((last - first) / step)) -> Math.Round(first + float i * step, 10) ]

let private tickLabel (step: float) (x: float) =
    let decimals = max 0 (int (ceil (-(log10 step))))
    x.ToString("F" + string decimals, inv)

type private Frame = { XLo: float; XHi: float; YLo: float; YHi: float }

let private plotRight = width - right
let private plotBottom = height - bottom
let private px (f: Frame) (x: float) = left + (x - f.XLo) / (f.XHi - f.XLo) * (plotRight - left)
let private py (f: Frame) (y: float) = plotBottom - (y - f.YLo) / (f.YHi - f.YLo) * (plotBottom - top)

let private header (out: StringBuilder) (title: string) =
    out.Append(sprintf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"sans-serif\" font-size=\"12\">\n" (n width) (n height) (n width) (n height)) |> ignore
    out.Append(sprintf "<title>%s</title>\n" (escape title)) |> ignore
    out.Append(sprintf "<rect x=\"0\" y=\"0\" width=\"%s\" height=\"%s\" fill=\"white\"/>\n" (n width) (n height)) |> ignore
    out.Append(sprintf "<text x=\"%s\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n" (n left) (escape title)) |> ignore

let private yAxis (out: StringBuilder) (f: Frame) (yTicks: float list) (label: string) =
    let step = if yTicks.Length > 1 then yTicks.[1] - yTicks.[0] else 1.0
    out.Append(sprintf "<g class=\"axis y\">\n<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"black\"/>\n" (n left) (n top) (n left) (n plotBottom)) |> ignore
    for t in yTicks do
        let y = py f t
        out.Append(sprintf "<line class=\"tick\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#ddd\"/>\n" (n left) (n y) (n plotRight) (n y)) |> ignore
        out.Append(sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n" (n (left - 6.0)) (n (y + 4.0)) (tickLabel step t)) |> ignore
    out.Append(sprintf "<text transform=\"translate(16 %s) rotate(-90)\" text-anchor=\"middle\">%s</text>\n</g>\n" (n ((top + plotBottom) / 2.0)) (escape label)) |> ignore

let private xAxisLine (out: StringBuilder) (label: string) =
    out.Append(sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"black\"/>\n" (n left) (n plotBottom) (n plotRight) (n plotBottom)) |> ignore
    out.Append(sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n" (n ((left + plotRight) / 2.0)) (n (height - 8.0)) (escape label)) |> ignore

let private errorBar (out: StringBuilder) (f: Frame) (x: float) (y: float) (e: float) (stroke: string) =
    let y1, y2 = py f (y - e), py f (y + e)
    out.Append(sprintf "<g class=\"error-bar\"><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/></g>\n"
                    (n x) (n y1) (n x) (n y2) stroke (n (x - 4.0)) (n y1) (n (x + 4.0)) (n y1) stroke (n (x - 4.0)) (n y2) (n (x + 4.0)) (n y2) stroke) |> ignore

let private legend (out: StringBuilder) (entries: (string * string * bool) list) =
    out.Append("<g class=\"legend\">\n") |> ignore
    entries |> List.iteri (fun i (name, colour, isMark) ->
        let y = top + 10.0 + float i * 20.0
        let x = plotRight + 15.0
        out.Append("<g class=\"legend-entry\">") |> ignore
        if isMark then out.Append(sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>" (n x) (n y) (n (x + 18.0)) (n y) colour) |> ignore
        else out.Append(sprintf "<rect x=\"%s\" y=\"%s\" width=\"18\" height=\"10\" fill=\"%s\"/>" (n x) (n (y - 5.0)) colour) |> ignore
        out.Append(sprintf "<text x=\"%s\" y=\"%s\">%s</text></g>\n" (n (x + 24.0)) (n (y + 4.0)) (escape name)) |> ignore)
    out.Append("</g>\n") |> ignore

let private lines (c: LineChart) =
    let out = StringBuilder()
    header out c.Title
    let points = c.Series |> List.collect _.Points
    let ys = points |> List.collect (fun p -> [ p.Y - defaultArg p.Error 0.0; p.Y + defaultArg p.Error 0.0 ])
    let xs = points |> List.map _.X
    let xTicks = if xs.IsEmpty then [ 0.0; 1.0 ] else ticks (List.min xs) (List.max xs)
    let yTicks = if ys.IsEmpty then [ 0.0; 1.0 ] else ticks (List.min ys) (List.max ys)
    let f = { XLo = List.head xTicks; XHi = List.last xTicks; YLo = List.head yTicks; YHi = List.last yTicks }
    let f = { f with XHi = (if f.XHi > f.XLo then f.XHi else f.XLo + 1.0); YHi = (if f.YHi > f.YLo then f.YHi else f.YLo + 1.0) }
    yAxis out f yTicks c.YLabel
    xAxisLine out c.XLabel
    let xStep = if xTicks.Length > 1 then xTicks.[1] - xTicks.[0] else 1.0
    for t in xTicks do
        out.Append(sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n" (n (px f t)) (n (plotBottom + 16.0)) (tickLabel xStep t)) |> ignore
    c.Series |> List.iteri (fun i s ->
        let colour = colour i
        out.Append(sprintf "<g class=\"series\" data-name=\"%s\">\n" (escape s.Name)) |> ignore
        let coords = s.Points |> List.map (fun p -> sprintf "%s,%s" (n (px f p.X)) (n (py f p.Y)))
        out.Append(sprintf "<polyline class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>\n" colour (String.Join(" ", coords))) |> ignore
        for p in s.Points do
            match p.Error with
            | Some e -> errorBar out f (px f p.X) p.Y e colour
            | None -> ()
            // A measured point (with its error bar, or a series' only point) gets a mark; dense curves do not.
            if p.Error.IsSome || s.Points.Length = 1 then
                out.Append(sprintf "<circle class=\"point\" cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>\n" (n (px f p.X)) (n (py f p.Y)) colour) |> ignore
        out.Append("</g>\n") |> ignore)
    legend out (c.Series |> List.mapi (fun i s -> s.Name, colour i, false))
    out.Append("</svg>\n").ToString()

let private bars (c: BarChart) =
    let out = StringBuilder()
    header out c.Title
    let all = c.Series |> List.collect (fun s -> s.Bars |> List.choose id)
    let highs = all |> List.collect (fun b -> [ b.Value + defaultArg b.Error 0.0; defaultArg b.Reference 0.0 ])
    let yTicks = ticks 0.0 (if highs.IsEmpty then 1.0 else List.max highs)
    let categories = max 1 c.Categories.Length
    let f = { XLo = 0.0; XHi = float categories; YLo = List.head yTicks; YHi = List.last yTicks }
    yAxis out f yTicks c.YLabel
    xAxisLine out c.XLabel
    // Long category names wrap at spaces, one word a line, so neighbours do not overlap.
    c.Categories |> List.iteri (fun i name ->
        let x = n (px f (float i + 0.5))
        out.Append(sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"11\">" x (n (plotBottom + 14.0))) |> ignore
        name.Split(' ') |> Array.iteri (fun j word ->
            out.Append(sprintf "<tspan x=\"%s\" dy=\"%s\">%s</tspan>" x (if j = 0 then "0" else "12") (escape word)) |> ignore)
        out.Append("</text>\n") |> ignore)
    let seriesCount = max 1 c.Series.Length
    let slot = (plotRight - left) / float categories
    let barWidth = slot * 0.8 / float seriesCount
    let hasReference = all |> List.exists (fun b -> b.Reference.IsSome)
    c.Series |> List.iteri (fun si s ->
        let colour = colour si
        out.Append(sprintf "<g class=\"series\" data-name=\"%s\">\n" (escape s.Name)) |> ignore
        s.Bars |> List.iteri (fun ci bar ->
            match bar with
            | None -> ()
            | Some b ->
                let x = left + float ci * slot + slot * 0.1 + float si * barWidth
                let yTop = py f b.Value
                out.Append(sprintf "<rect class=\"bar\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"><title>%s, %s: %s</title></rect>\n"
                                (n x) (n yTop) (n barWidth) (n (plotBottom - yTop)) colour (escape s.Name) (escape c.Categories.[ci]) (b.Value.ToString("0.0000", inv))) |> ignore
                match b.Error with
                | Some e -> errorBar out f (x + barWidth / 2.0) b.Value e "black"
                | None -> ()
                match b.Reference with
                | Some r -> out.Append(sprintf "<line class=\"reference\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"black\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>\n" (n x) (n (py f r)) (n (x + barWidth)) (n (py f r))) |> ignore
                | None -> ())
        out.Append("</g>\n") |> ignore)
    legend out [ yield! c.Series |> List.mapi (fun i s -> s.Name, colour i, false)
                 if hasReference then c.ReferenceLabel, "black", true ]
    out.Append("</svg>\n").ToString()

/// The chart as a standalone SVG document.
let render (chart: Chart) : string =
    match chart with
    | Lines l -> lines l
    | Bars b -> bars b
