from workledger.main import main

main()
