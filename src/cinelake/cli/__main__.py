"""`python -m cinelake.cli`: the same as the `cinelake` command."""

from cinelake.cli import main

if __name__ == "__main__":
    main()
