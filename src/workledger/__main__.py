from workledger.cli.main import main

main()
