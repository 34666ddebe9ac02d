from akb.cli.app import main

main()
