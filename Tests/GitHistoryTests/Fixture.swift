import Foundation
import TestSupport
import Testing

extension Tag {
    @Tag static var slow: Self
}

/// The fixture repository every scrape test reads. Seven commits on two branches, all
/// dated 2024-01-01 (a Monday), authors at +05:30 and committers at -08:00:
///
///     c1 root: a.txt (3 lines), src/main.rs (1 line)                          Asha
///     c2 a.txt line 2 changed, img.bin (binary), link -> a.txt, .mailmap       Asha, "(#12)", "#7"
///     c3 [feature] src/main.rs renamed to src/app.rs, b.txt (5 lines)          Dee
///     c4 a.txt +2 lines, mentions c2 and a hash that is not a commit          Asha (old email)
///     c5 merge feature into main (first-parent diff: the rename and b.txt)    tag v1.0
///     c6 empty commit "fixup! Initial commit"
///     c7 b.txt -1 line, ISO-8859-1 message "Café au lait"                      tag v1.1 (annotated)
///
/// The `.mailmap` maps asha@old.example.com to asha@example.com.
struct Fixture {
    let directory: TempDir
    var path: String { directory.path }
    /// c1...c7 hashes.
    let hashes: [String]

    static let script = #"""
    git init -q -b main .
    at() {
      export GIT_AUTHOR_DATE="2024-01-01T1$1:00:00+05:30" GIT_COMMITTER_DATE="2024-01-01T1$1:30:00-08:00"
    }
    export GIT_AUTHOR_NAME="Asha Rao" GIT_AUTHOR_EMAIL=asha@example.com
    export GIT_COMMITTER_NAME="Bo Chen" GIT_COMMITTER_EMAIL=bo@example.com
    at 0
    printf 'line1\nline2\nline3\n' > a.txt
    mkdir src && printf 'fn main() {}\n' > src/main.rs
    git add -A && git commit -q -m "Initial commit"
    at 1
    printf 'line1\nline2 changed\nline3\n' > a.txt
    printf 'PNG\0\1\2\3binary\0data' > img.bin
    ln -s a.txt link
    printf 'Asha Rao <asha@example.com> <asha@old.example.com>\n' > .mailmap
    git add -A && git commit -q -m "Add image and link (#12)" -m "Refs #7 and issue#9 (not a reference)."
    git branch feature
    git checkout -q feature
    at 2
    git mv src/main.rs src/app.rs
    printf '1\n2\n3\n4\n5\n' > b.txt
    git add -A && GIT_AUTHOR_NAME="Dee Kim" GIT_AUTHOR_EMAIL=dee@example.com git commit -q -m "Rename main to app"
    git checkout -q main
    at 3
    printf 'line4\nline5\n' >> a.txt
    c2=$(git rev-parse --short=10 HEAD)
    git add -A && GIT_AUTHOR_EMAIL=asha@old.example.com git commit -q -m "Follow up on $c2" -m "Not deadbeefcafe0123."
    at 4
    git merge -q --no-ff feature -m "Merge branch 'feature'"
    git tag v1.0
    at 5
    git commit -q --allow-empty -m "fixup! Initial commit"
    at 6
    printf '1\n2\n3\n4\n' > b.txt
    printf 'Caf\351 au lait\n' > .git/msg-latin1
    git add -A && git -c i18n.commitEncoding=ISO-8859-1 commit -q -F .git/msg-latin1
    rm .git/msg-latin1
    git tag -a v1.1 -m "Release 1.1"
    git log --reverse --format=%H main
    """#

    init() throws {
        directory = TempDir()
        hashes = try shell(Self.script, in: directory.path).split(separator: "\n").map(String.init)
    }
}
