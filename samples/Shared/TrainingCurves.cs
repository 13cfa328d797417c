using System.IO;
using System.Linq;
using RnnCompiler.Training;

// Compiled into each training sample (see their project files): ScottPlot is a dependency of the samples alone.

/// <summary>Draws a training history's loss and accuracy curves as PNG pictures with ScottPlot.</summary>
internal static class TrainingCurves
{
    /// <summary>Writes <c>{name}-loss.png</c> and <c>{name}-accuracy.png</c> into <paramref name="folder"/>; returns their paths.</summary>
    public static string Draw(FitResult fit, string folder, string name)
    {
        double[] epochs = fit.History.Select(report => (double)report.Epoch).ToArray();
        var loss = new ScottPlot.Plot();
        loss.Add.Scatter(epochs, fit.History.Select(report => report.Loss).ToArray()).LegendText = "training loss";
        loss.Add.Scatter(epochs, fit.History.Select(report => report.ValidationLoss).ToArray()).LegendText = "validation loss";
        loss.Axes.Bottom.Label.Text = "epoch";
        loss.Axes.Left.Label.Text = "loss";
        loss.ShowLegend();
        var accuracy = new ScottPlot.Plot();
        accuracy.Add.Scatter(epochs, fit.History.Select(report => report.Accuracy).ToArray()).LegendText = "training accuracy";
        accuracy.Add.Scatter(epochs, fit.History.Select(report => report.ValidationAccuracy).ToArray()).LegendText = "validation accuracy";
        accuracy.Axes.Bottom.Label.Text = "epoch";
        accuracy.Axes.Left.Label.Text = "accuracy";
        accuracy.ShowLegend(ScottPlot.Alignment.LowerRight);
        string lossPath = Path.Combine(folder, $"{name}-loss.png");
        string accuracyPath = Path.Combine(folder, $"{name}-accuracy.png");
        loss.SavePng(lossPath, 640, 400);
        accuracy.SavePng(accuracyPath, 640, 400);
        return $"{lossPath} and {accuracyPath}";
    }
}
