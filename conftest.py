"""pytest settings for nbval runs over chapters/ (see Makefile: make test-nbval)."""


def pytest_collectstart(collector):
    # TensorFlow's start-up lines on stderr differ between machines; the
    # outputs that matter are on stdout and in the display data.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
