from orbitwatch.cli import main

main()
