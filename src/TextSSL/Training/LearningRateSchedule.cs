namespace TextSSL.Training;

/// <summary>Linear warmup to the peak, then a half cosine down to the minimum, then flat (nanoGPT's <c>get_lr</c>).</summary>
/// <param name="Peak">Learning rate at the end of warmup.</param>
/// <param name="Minimum">Learning rate from <paramref name="DecaySteps"/> on.</param>
/// <param name="WarmupSteps">Steps of linear warmup.</param>
/// <param name="DecaySteps">Step at which the cosine reaches the minimum.</param>
internal sealed record LearningRateSchedule(double Peak, double Minimum, long WarmupSteps, long DecaySteps)
{
    /// <summary>The learning rate of update number <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        // 1) linear warmup; (step + 1) so the very first update does not use a zero rate
        if (step < WarmupSteps) return Peak * (step + 1) / (WarmupSteps + 1);
        // 2) past the decay horizon, the minimum
        if (step >= DecaySteps) return Minimum;
        // 3) in between, a cosine from the peak down to the minimum
        var ratio = (double)(step - WarmupSteps) / (DecaySteps - WarmupSteps);
        var coefficient = 0.5 * (1.0 + Math.Cos(Math.PI * ratio));
        return Minimum + coefficient * (Peak - Minimum);
    }
}
