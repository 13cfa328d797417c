using System;
using RnnCompiler.Tool;

return (int)RnnCompilerCommand.Run(args, Console.Out, Console.Error);
