from kiloglot.cli.main import app

app(prog_name="kiloglot")
