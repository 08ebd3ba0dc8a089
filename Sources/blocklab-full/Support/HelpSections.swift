import StoreCommands

/// The sections of `blocklab --help` after the command list, which the man page repeats:
/// the environment BlockLab reads and the exit statuses (`ExitStatus`).
enum HelpSections {
    static let root = """
        RUN is an id, a uuid prefix (4+ characters), a name (the newest run with
        it), or `latest`. Commands that print data take --format table|json|csv.
        -q/--quiet silences progress and notices on stderr; errors and warnings
        still print. Progress redraws one line at a terminal, and is plain lines
        when stderr is not a terminal or TERM is dumb. BlockLab prints no colours.

        ENVIRONMENT:
          BLOCKLAB_STORE         The store when --store is not given
                                 (else ./blocklab.db).
          BLOCKLAB_PAGER, PAGER  The pager of runs, show, metrics, compare and sql
                                 when stdout is a terminal, in that order (default
                                 `less -FRX`); empty or `cat`: none, as --no-pager.
          TERM                   `dumb`: progress as plain lines.
          BLOCKLAB_DYGRAPHS_DIR  The folder of dygraph.min.js and dygraph.min.css
                                 for ui and report (default Debian's
                                 /usr/share/javascript/dygraphs).
          BLOCKLAB_TORCH_LIBRARY The libBlockLabTorch.so the model commands load
                                 (default: beside the executable).
          XDG_CACHE_HOME         Where embed and search find the default model
                                 (XDG_CACHE_HOME, else ~/.cache: blocklab/models).
          WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
                                 A data-parallel rank of train (torchrun's).
          GLOO_SOCKET_IFNAME     The network interface the ranks talk over.
          --token-env VAR, --api-key-env VAR, qdrant.api_key_env: VAR
                                 The dashboard's token (ui; e.g. BLOCKLAB_UI_TOKEN)
                                 and Qdrant's API key (push, search, pipeline;
                                 e.g. QDRANT_API_KEY), never on the command line.

        \(ExitStatus.helpText)
        """
}
