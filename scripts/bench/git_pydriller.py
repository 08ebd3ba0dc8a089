"""The peer of `blocklab bench git`: PyDriller computing what a BlockLab commit record
holds (metadata, the local branches containing the commit, totals, and per file its paths,
change type, counts and diff) for a sample of commits.

    python git_pydriller.py REPO SAMPLE_FILE

SAMPLE_FILE lists one commit hash a line. Prints one JSON object: commits read, seconds,
lines counted, and the commits PyDriller could not read (a repository with missing
objects), which are timed like the others and listed by hash.
"""
import json
import sys
import time

from pydriller import Git

repo, sample = sys.argv[1], open(sys.argv[2]).read().split()
git = Git(repo)
lines = 0
failed = []
start = time.perf_counter()
for h in sample:
    try:
        c = git.get_commit(h)
        _ = (c.hash, c.msg, c.author.name, c.author.email, c.author_date, c.author_timezone,
             c.committer.name, c.committer.email, c.committer_date, c.committer_timezone,
             c.parents, c.merge, c.branches, c.insertions, c.deletions, c.files)
        for m in c.modified_files:
            lines += m.added_lines + m.deleted_lines
            _ = (m.new_path, m.old_path, m.change_type, m.diff)
    except Exception:  # a missing object: GitPython raises from `git cat-file`
        failed.append(h)
seconds = time.perf_counter() - start
print(json.dumps({"commits": len(sample), "seconds": seconds, "lines": lines,
                  "failed": failed}))
