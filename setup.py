"""Packaging for tensorboard-plugin-rungroups (import name: tb_plugin)."""

import os

import setuptools

HERE = os.path.dirname(os.path.abspath(__file__))


def _version():
    with open(os.path.join(HERE, "tb_plugin", "__init__.py"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split('"')[1]
    raise RuntimeError("no __version__ in tb_plugin/__init__.py")


def _readme():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        return f.read()


TF = ["tensorflow-cpu>=2.16"]

setuptools.setup(
    name="tensorboard-plugin-rungroups",
    version=_version(),
    description="TensorBoard plugin: group runs by their names and metadata, "
    "with statistics and mean curves over repeats",
    long_description=_readme(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # The front end lives in the top-level frontend/ folder and ships inside
    # the wheel as the package tb_plugin.static.
    packages=["tb_plugin", "tb_plugin.static"],
    package_dir={"tb_plugin": "tb_plugin", "tb_plugin.static": "frontend"},
    package_data={
        "tb_plugin": ["http_api.md"],
        "tb_plugin.static": ["*.js", "*.css", "views/*.js", "vendor/*/*"],
    },
    exclude_package_data={"tb_plugin.static": ["tests/*"]},
    install_requires=[
        "tensorboard>=2.16",
        "werkzeug>=1.0",
        "numpy>=1.20",
        "scipy>=1.9",
        # Linear-time matching for regexes sent by clients (queries.compile_regex).
        "google-re2>=1.1",
    ],
    extras_require={
        "tf": TF,
        "demo": TF,
        "test": TF
        + [
            "pytest>=7",
            "hypothesis>=6",
            "playwright>=1.40",
            "build>=1",
            "ruff>=0.5",
            "mypy>=1.10",
            # Real default run names from these libraries in the naming tests.
            "tensorboardX>=2.6",
            "hydra-core>=1.3",
            # Log directories on s3://: a local S3 server (moto_server) and the
            # client TensorBoard's own gfile reads S3 with.
            "moto[server]>=5",
            "boto3>=1.26",
            # Oracles the statistics are checked against (effects: type-II ANOVA and
            # power; across tasks: rliable's aggregates). rliable 1.2 needs arch < 8 for
            # rliable.library, and arch 7 fails to import under pandas 3: pandas 2.
            "statsmodels>=0.14",
            "rliable>=1.2",
            "pandas<3",
            # The Markdown export is checked by rendering it with CommonMark.
            "markdown-it-py>=3",
        ],
    },
    entry_points={
        "tensorboard_plugins": ["rungroups = tb_plugin.plugin:RunGroupsLoader"],
        "console_scripts": ["tb-rungroups = tb_plugin.cli:main"],
    },
    classifiers=[
        "Framework :: TensorFlow",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
