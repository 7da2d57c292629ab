using System.Globalization;
using System.Text;
using TextSSL.Probing;

namespace TextSSL.Reports;

/// <summary>The plain-language reading of a label-efficiency result, computed from its numbers.</summary>
public static class LabelEfficiencyReading
{
    /// <summary>Accuracy differences below this many points are not called wins in the prose (besides the std test).</summary>
    private const double TiePoints = 0.5;

    /// <summary>One paragraph: who wins at each K and by how much, what pretraining adds over random weights, and how many labels the probe needs to match the baselines' best.</summary>
    public static string Paragraph(ProbeResult result)
    {
        var ks = result.Options.SamplesPerLabel.Where(k => result.Summary(ProbeMethod.Pretrained, k) is not null).ToList();
        if (ks.Count == 0) return "No run finished, so there is nothing to read.";
        var sb = new StringBuilder();
        var counts = result.Dataset.TestCounts();
        var majority = (double)counts.Max() / counts.Sum();
        sb.Append(CultureInfo.InvariantCulture, $"On {result.Dataset.Test.Count:N0} test texts in {result.Dataset.Classes.Count} classes (always predicting the most common class scores {Pct(majority)}): ");

        // 1. The winner at each K, grouped over consecutive Ks with the same winner.
        var verdicts = ks.Select(k => Verdict(result, k)).ToList();
        var clauses = new List<string>();
        for (var i = 0; i < verdicts.Count;)
        {
            var j = i;
            while (j + 1 < verdicts.Count && verdicts[j + 1].Winner == verdicts[i].Winner && verdicts[j + 1].Tie == verdicts[i].Tie && verdicts[j + 1].RunnerUp == verdicts[i].RunnerUp) j++;
            var group = verdicts.GetRange(i, j - i + 1);
            var at = KList(result, group.Select(v => v.K).ToList());
            var first = group[0];
            if (first.RunnerUp is not { } runnerUp)
                clauses.Add($"{at} the {first.Winner.Title()} scores {JoinList(group.Select(v => Pct(v.Score)).ToList())}");
            else if (first.Tie)
                clauses.Add($"{at} {first.Winner.Title()} and {runnerUp.Title()} are level within a standard deviation (gap{(group.Count > 1 ? "s" : "")} {JoinList(group.Select(v => Points(v.Margin, unit: false)).ToList())} points)");
            else
                clauses.Add($"{at} {first.Winner.Title()} is best ({JoinList(group.Select(v => Pct(v.Score)).ToList())}), ahead of {runnerUp.Title()} by {JoinList(group.Select(v => Points(v.Margin, unit: false)).ToList())} points");
            i = j + 1;
        }
        sb.Append(string.Join("; ", clauses)).Append(". ");

        // 2. What pretraining adds over the same network with random weights.
        var gains = ks.Select(k => (k, p: result.Summary(ProbeMethod.Pretrained, k), r: result.Summary(ProbeMethod.RandomWeights, k)))
            .Where(t => t.r is not null).Select(t => (t.k, Gain: t.p!.AccuracyMean - t.r!.AccuracyMean)).ToList();
        if (gains.Count > 0)
        {
            var mean = gains.Average(g => g.Gain);
            sb.Append(CultureInfo.InvariantCulture, $"Pretraining is worth {SignedPoints(mean)} on average over the same network with random weights");
            if (gains.Count > 1)
                sb.Append(CultureInfo.InvariantCulture, $" ({SignedPoints(gains[0].Gain)} at {LabelText(result, gains[0].k)}, {SignedPoints(gains[^1].Gain)} at {LabelText(result, gains[^1].k)})");
            sb.Append(mean <= 0 ? ", so the pretrained features are not yet better than random projections of the tokens. " : ". ");
        }

        // 2b. What the probe gives over training the same network on the same labels.
        var overScratch = ks.Select(k => (p: result.Summary(ProbeMethod.Pretrained, k), s: result.Summary(ProbeMethod.Supervised, k)))
            .Where(t => t.s is not null).Select(t => t.p!.AccuracyMean - t.s!.AccuracyMean).ToList();
        if (overScratch.Count > 0)
            sb.Append(CultureInfo.InvariantCulture, $"Against the same network trained from scratch on the same labels, the frozen probe is {SignedPoints(overScratch.Average())} on average. ");

        // 2c. What the pretrained features add to TF-IDF when both are used.
        var overTfidf = ks.Select(k => (k, c: result.Summary(ProbeMethod.PretrainedTfidf, k), t: result.Summary(ProbeMethod.Tfidf, k)))
            .Where(t => t.c is not null && t.t is not null).Select(t => (t.k, Gain: t.c!.AccuracyMean - t.t!.AccuracyMean)).ToList();
        if (overTfidf.Count > 0)
            sb.Append(CultureInfo.InvariantCulture, $"Adding the pretrained features to TF-IDF changes its accuracy by {JoinList(overTfidf.Select(g => $"{SignedPoints(g.Gain)} at {LabelText(result, g.k)}").ToList())}. ");

        // 3. Label efficiency: the fewest labels with which the probe comes within a point of the best baseline's best,
        //    set against the labels that baseline used for it.
        var baselineBest = result.Summaries.Where(s => s.Method is not (ProbeMethod.Pretrained or ProbeMethod.PretrainedTfidf)).MaxBy(s => s.AccuracyMean);
        if (baselineBest is not null)
        {
            var target = baselineBest.AccuracyMean;
            var enough = ks.FirstOrDefault(k => result.Summary(ProbeMethod.Pretrained, k)!.AccuracyMean >= target - 0.01, -1);
            var bestText = $"{baselineBest.Method.Title()}'s best ({Pct(target)}, with {LabelText(result, baselineBest.SamplesPerLabel)})";
            if (enough != -1)
                sb.Append(LabelsToMatch(result, result.Summary(ProbeMethod.Pretrained, enough)!, baselineBest, bestText, ks));
            else
            {
                var bestProbe = ks.Select(k => result.Summary(ProbeMethod.Pretrained, k)!).MaxBy(s => s.AccuracyMean)!;
                sb.Append(CultureInfo.InvariantCulture, $"Even at its best ({Pct(bestProbe.AccuracyMean)} at {LabelText(result, bestProbe.SamplesPerLabel)}) the probe stays {Points(target - bestProbe.AccuracyMean)} below {bestText}. ");
            }
        }
        var wins = verdicts.Count(v => v.Winner == ProbeMethod.Pretrained && !v.Tie);
        if (verdicts.Count > 1 && wins == 0 && verdicts.All(v => v.Winner != ProbeMethod.Pretrained))
            sb.Append("The pretrained probe is the best method at no point of the curve. ");
        var shortKs = ks.Where(result.IsShort).ToList();
        if (shortKs.Count > 0)
            sb.Append(CultureInfo.InvariantCulture, $"At {JoinList(shortKs.Select(k => LabelText(result, k)).ToList())} some class had fewer training examples than asked for, so those points use fewer labels (marked † in the table).");
        return sb.ToString().TrimEnd();
    }

    /// <summary>
    /// The sentence on how many labels the probe needs to come within a point of the best baseline's best: fewer than the
    /// baseline used (how many times fewer), as many (then what the probe scores one step down the curve), or more.
    /// </summary>
    private static string LabelsToMatch(ProbeResult result, ProbeSummary probe, ProbeSummary baseline, string bestText, List<int?> ks)
    {
        var (needed, used) = (probe.TrainExamples, baseline.TrainExamples);
        var verb = probe.AccuracyMean >= baseline.AccuracyMean ? "reaches" : "comes within one point of";
        var reach = $"The probe {verb} {bestText} at {LabelText(result, probe.SamplesPerLabel)} ({Pct(probe.AccuracyMean)})";
        if (needed < used)
            return string.Create(CultureInfo.InvariantCulture, $"{reach}: {needed:N0} labelled texts instead of {used:N0}, {(double)used / needed:0.#}× fewer. ");
        if (needed > used)
            return string.Create(CultureInfo.InvariantCulture, $"{reach}, so it needs more labels than {baseline.Method.Title()} ({needed:N0} labelled texts against {used:N0}). ");
        var index = ks.IndexOf(probe.SamplesPerLabel);
        var fewer = index > 0 ? result.Summary(ProbeMethod.Pretrained, ks[index - 1]) : null;
        return fewer is null
            ? $"{reach}, the same labels; no smaller label budget was measured, so whether it needs fewer is open. "
            : string.Create(CultureInfo.InvariantCulture, $"{reach}, with as many labels and not with fewer: at {LabelText(result, fewer.SamplesPerLabel)} it scores {Pct(fewer.AccuracyMean)}. ");
    }

    private sealed record KVerdict(int? K, ProbeMethod Winner, double Score, ProbeMethod? RunnerUp, double Margin, bool Tie);

    private static KVerdict Verdict(ProbeResult result, int? k)
    {
        var ranked = result.Summaries.Where(s => s.SamplesPerLabel == k).OrderByDescending(s => s.AccuracyMean).ToList();
        var best = ranked[0];
        if (ranked.Count == 1) return new KVerdict(k, best.Method, best.AccuracyMean, null, 0, false);
        var second = ranked[1];
        var margin = best.AccuracyMean - second.AccuracyMean;
        var tie = margin * 100 < TiePoints || margin < Math.Max(best.AccuracyStd, second.AccuracyStd);
        return new KVerdict(k, best.Method, best.AccuracyMean, second.Method, margin, tie);
    }

    /// <summary>"8 labels per class" or "all labels (n = 1,234)".</summary>
    internal static string LabelText(ProbeResult result, int? k) =>
        k is { } v ? $"{v} label{(v == 1 ? "" : "s")} per class" : $"all {result.Dataset.Train.Count:N0} labels";

    internal static string Pct(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Points(double v, bool unit = true) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + (unit ? " points" : "");

    // "at 2, 8 and 32 labels per class and with all 480 labels"
    private static string KList(ProbeResult result, IReadOnlyList<int?> ks)
    {
        var numbers = ks.Where(k => k is not null).Select(k => k!.Value.ToString(CultureInfo.InvariantCulture)).ToList();
        var parts = new List<string>();
        if (numbers.Count > 0) parts.Add($"at {JoinList(numbers)} label{(numbers.Count == 1 && numbers[0] == "1" ? "" : "s")} per class");
        if (ks.Any(k => k is null)) parts.Add($"with all {result.Dataset.Train.Count:N0} labels");
        return string.Join(" and ", parts);
    }

    private static string SignedPoints(double v) => (v >= 0 ? "+" : "−") + Points(Math.Abs(v));

    private static string JoinList(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };
}
