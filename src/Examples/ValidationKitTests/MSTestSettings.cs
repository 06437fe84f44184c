// The kit's checks use libtorch from one thread at a time here.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
