from mixite.cli import main

main()
