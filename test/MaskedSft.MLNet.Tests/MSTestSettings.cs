// Assembly-wide MSTest settings: test classes run in parallel unless marked [DoNotParallelize].
[assembly: Parallelize(Workers = 2, Scope = ExecutionScope.ClassLevel)]
