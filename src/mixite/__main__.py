from mixite.cli import main

# guarded: the worker processes of a national run (multiprocessing « spawn ») import this module
if __name__ == "__main__":
    main()
