using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Tests.Reference;

namespace RnnCompiler.Tests.Models;

/// <summary>A generated model and the naive reference's description of the same network.</summary>
public sealed record ModelCase(string Name, Func<IRnnModel<float>> Create, RefLayer[] Layers)
{
    public override string ToString() => Name;

    public static ModelCase Get(string name) => ModelCatalog.All.Single(c => c.Name == name);

    public static IEnumerable<object[]> Names() => ModelCatalog.All.Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> StreamingNames() =>
        ModelCatalog.All.Where(c => c.Create().Info.CanStream).Select(c => new object[] { c.Name });
}

