from heli.cli import main

main()
