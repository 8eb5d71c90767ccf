# Winning pipeline exported by skautoml 0.1.0 on 2025-01-01.
# Cross-validated accuracy of this pipeline during the search: 0.9375
#
# Run it:
#     python best_pipeline.py data.csv --target label [--save model.pkl]
# --target may be left out: it defaults to label.
# It reads the CSV with pandas (text columns are fine), holds out --test-size of
# the rows (stratified, seeded by --random-state), fits the pipeline on the rest,
# prints the held-out accuracy and, with --save, saves the fitted pipeline
# with joblib. Other code can import this file and call make_pipeline().
#
# Needs at run time: numpy, pandas, scikit-learn.
# It does not import skautoml.

import argparse

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SCORING = "accuracy"
TARGET = "label"


def make_pipeline():
    """Return the winning pipeline, unfitted."""
    return Pipeline(
        steps=[
            ("standardscaler", StandardScaler()),
            ("logisticregression", LogisticRegression(C=0.5, max_iter=500)),
        ],
    )


def main(argv=None):
    """Fit the pipeline on a CSV file, print its held-out score, optionally save it."""
    parser = argparse.ArgumentParser(description="Fit the exported pipeline.")
    parser.add_argument("csv", help="CSV file with a header row, one row per sample")
    parser.add_argument(
        "--target",
        default=TARGET,
        help="column to predict (default: %(default)s)",
    )
    parser.add_argument("--test-size", type=float, default=0.25, help="held-out share")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the split")
    parser.add_argument("--save", metavar="PATH", help="save the fitted pipeline here")
    args = parser.parse_args(argv)

    data = pd.read_csv(args.csv)
    y = data[args.target]
    X = data.drop(columns=[args.target])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.random_state, stratify=y
    )
    model = make_pipeline()
    model.fit(X_train, y_train)
    score = get_scorer(SCORING)(model, X_test, y_test)
    print(f"held-out {SCORING}: {score:.4f} on {len(y_test)} rows")
    if args.save:
        joblib.dump(model, args.save)
        print(f"saved the fitted pipeline to {args.save}")
    return model


if __name__ == "__main__":
    main()
