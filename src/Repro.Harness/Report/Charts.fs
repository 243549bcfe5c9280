/// Charts as values: what a figure shows, independent of how it is drawn (SVG for the markdown,
/// Plotly for the HTML report).
module Repro.Harness.Report.Charts

type Point = { X: float; Y: float; Error: float option }

type LineSeries = { Name: string; Points: Point list }

type LineChart = { Title: string; XLabel: string; YLabel: string; Series: LineSeries list }

/// One bar: its height, its error bar (half-length) and an optional reference mark (a published number).
type Bar = { Value: float; Error: float option; Reference: float option }

/// One bar per category (None: no bar there).
type BarSeries = { Name: string; Bars: Bar option list }

type BarChart =
    { Title: string
      XLabel: string
      YLabel: string
      Categories: string list
      Series: BarSeries list
      /// Legend text for the reference marks, when any bar has one.
      ReferenceLabel: string }

type Chart =
    | Lines of LineChart
    | Bars of BarChart

    member c.Title = match c with Lines l -> l.Title | Bars b -> b.Title
